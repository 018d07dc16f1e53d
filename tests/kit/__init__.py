"""Test and benchmark kit: never shipped in the package."""
