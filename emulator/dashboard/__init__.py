"""The live dashboard of a running plant, served by the control API at `/`.

`app` adds its routes and the token cookie to the control API, `views` reads the plant into
JSON, `stream` is the live channel (server-sent events); the page is plain HTML, CSS and JS in
`static/`, shipped as package data. Documented in docs/dashboard.md.
"""
