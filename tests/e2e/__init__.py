"""End-to-end tests that drive a real headless browser (Debian's chromium)."""
