"""meta254: analytics workbench."""
