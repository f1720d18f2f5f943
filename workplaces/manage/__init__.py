"""Managing workplaces after setup: dashboard, overview and export, detail, edit, reset."""
