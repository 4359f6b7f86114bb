"""The service's routes, one router per concern: `pages` (the HTML pages and sign-in), `studies` (the API: list,
search, status, viewer data, uploads, PACS requests) and `files` (the files a result names)."""
