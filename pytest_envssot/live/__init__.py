"""Live checks beyond the files: the frontend build check and the live-check runner."""
