"""Task types: what a task does. One module per type, found through ``registry``."""
