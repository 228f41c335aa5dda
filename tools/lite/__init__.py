"""The in-browser course (JupyterLite + Pyodide), built by tools/build_lite.py.

One module per job: ``pins`` (what is shipped, at which versions), ``fetch`` (registry
downloads with a cache), ``standins`` (the modified third-party wheels), ``toolkit`` (the
course as a wheel), ``lockfile`` (Pyodide's lock, written from the shipped wheels), ``trim``
(botocore without the service models the course never calls), ``site`` (the JupyterLite build).
Not part of the build: ``driver`` (headless chromium on the built site, for the browser test
and benchmarks/bench_lite.py).
"""
