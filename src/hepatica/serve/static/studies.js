// The study list (refreshed while analyses run) and the upload form (upload progress, then analysis progress).
"use strict";

let refreshTimer = null;

function cell(row, content) {
  const td = row.insertCell();
  if (content instanceof Node) td.appendChild(content); else td.textContent = content;
  return td;
}

function statusCell(status) {
  const span = document.createElement("span");
  if (status.state === "running") {
    const bar = document.createElement("progress");
    bar.max = status.total || 1; bar.value = Math.max(0, status.number - 1);
    span.append(bar, ` ${status.step} (${status.number}/${status.total})`);
  } else if (status.state === "failed") {
    span.className = "error"; span.textContent = `failed: ${status.error}`;
  } else {
    span.textContent = status.state === "done" ? "analysed" : status.step || status.state;
  }
  return span;
}

function searchParameters() {
  const query = new URLSearchParams();
  for (const [name, id] of [["state", "search-state"], ["quality", "search-quality"], ["category", "search-category"],
                            ["min_diameter_mm", "search-diameter"], ["q", "search-text"]]) {
    const value = document.getElementById(id).value.trim();
    if (value) query.set(name, value);
  }
  return query;
}

async function refresh() {
  const query = searchParameters();
  const response = await fetch("/api/studies?" + query);
  const studies = response.ok ? await response.json() : [];
  const total = response.headers.get("X-Total-Count");
  document.getElementById("search-count").textContent =
    total === null ? "" : `${total} stud${total === "1" ? "y" : "ies"}` + (studies.length < total ? `, newest ${studies.length} shown` : "");
  const body = document.querySelector("#studies tbody");
  body.innerHTML = "";
  if (!studies.length) {
    body.insertRow().insertCell().textContent = [...query].length ? "No study matches the search."
      : "No studies yet: upload one below, or start the server on a folder of analyses.";
  }
  for (const s of studies) {
    const row = body.insertRow();
    row.dataset.study = s.id;
    cell(row, s.id);
    cell(row, statusCell(s.status));
    cell(row, (s.phases || []).join(", "));
    cell(row, s.liver_volume_ml != null ? s.liver_volume_ml.toFixed(0) : "");
    cell(row, s.lesion_count != null ? String(s.lesion_count) : "");
    cell(row, (s.categories || []).filter(c => c).join(", "));
    const quality = cell(row, s.quality || "");
    if (s.quality === "needs review") {
      quality.className = "needs-review"; quality.title = (s.quality_flags || []).join(", ");
    }
    const links = document.createElement("span");
    if (s.status.state === "done") {
      const viewer = document.createElement("a");
      viewer.href = `/studies/${encodeURIComponent(s.id)}`; viewer.textContent = "viewer"; viewer.className = "open-viewer";
      const report = document.createElement("a");
      report.href = `/studies/${encodeURIComponent(s.id)}/files/report.html`; report.textContent = "report";
      links.append(viewer, " · ", report);
    }
    cell(row, links);
  }
  const busy = studies.some(s => s.status.state === "queued" || s.status.state === "running");
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refresh, busy ? 1500 : 10000);
}

document.getElementById("search").addEventListener("submit", event => { event.preventDefault(); refresh(); });

document.getElementById("upload")?.addEventListener("submit", event => {
  event.preventDefault();
  const file = document.getElementById("file").files[0];
  if (!file) return;
  const message = document.getElementById("upload-message");
  const bar = document.getElementById("upload-progress");
  const risk = document.getElementById("high-risk").value;
  const request = new XMLHttpRequest();
  request.open("POST", "/api/studies" + (risk ? `?high_risk=${risk}` : ""));
  request.setRequestHeader("Content-Type", "application/zip");
  bar.hidden = false; bar.value = 0; message.textContent = "uploading…";
  request.upload.onprogress = e => { if (e.lengthComputable) bar.value = e.loaded / e.total; };
  request.onload = () => {
    bar.hidden = true;
    const answer = JSON.parse(request.responseText || "{}");
    if (request.status === 202) {
      message.textContent = `uploaded as ${answer.id}; the analysis is running (see the list above)`;
      refresh();
    } else {
      message.className = "error";
      message.textContent = `refused (${request.status}): ${answer.detail || request.statusText}`;
    }
  };
  request.onerror = () => { bar.hidden = true; message.textContent = "the upload failed: is the server running?"; };
  request.send(file);
});

refresh();
