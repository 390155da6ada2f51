"""My data: the page, the JSON download, deleting one's account (and staff deleting on request)."""
