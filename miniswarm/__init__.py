"""miniswarm: Docker Swarm mode, whole and working, inside one Python process."""

__version__ = "0.1.0"
