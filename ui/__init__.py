"""Presenting: the `gzqa` command line and the Gradio web app, both over `qa`'s answering API."""
