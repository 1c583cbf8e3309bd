"""The HTTP transport: the only package that knows HTTP (Starlette on uvicorn).

`app.create_app(services)` builds the ASGI application (Session, API, upload, download, CORS,
problem+json errors); `server.run_server(settings)` serves it. Everything else in Satchel sees
neither requests nor status codes.
"""
