"""`sigae explore`: the code space, live, on a local page driven by the trained decoder.

- `sigae.explore.session`: the questions the page asks (decode a code, a signal and its
  reconstruction, neighbours, an interpolation, samples), as plain functions;
- `sigae.explore.server`: the JSON API and the page, served by Starlette and uvicorn on
  127.0.0.1 with a per-launch token;
- `sigae/explore/static/explore.html`: the page, with its scripts and plotting inside
  (no CDN, nothing from the network).

Needs the optional extra: `pip install 'sigae[explore]'`.
"""
