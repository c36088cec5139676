"""What the Serve apps (`serve_apps/`) are thin over: their validated args, URI and upload
safety, decode limits, the OpenAI chat protocol and HTTP error bodies. Plain Python (FastAPI /
Starlette types at most); the Ray Serve deployments live in `serve_apps/`."""
