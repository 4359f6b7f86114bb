"""IBSI-1 feature families. Each function returns {IBSI tag: value}; texture tags carry their aggregation
suffix (e.g. ``cm_joint_max_3D_avg``)."""
