"""MyPortal: the end user's login, forced password change, own workplace page and reset."""
