"""Concrete storage adapters behind the ports in newswire.ports."""
