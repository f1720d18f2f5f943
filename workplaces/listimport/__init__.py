"""List import: read, check and write back the lists of workplaces customers upload."""
