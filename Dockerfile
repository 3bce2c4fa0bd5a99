# The AURA prediction API alone: FastAPI + onnxruntime over an artifacts folder mounted at
# /artifacts. No training stack (torch, scikit-learn, pandas) is installed: the serve extra of
# pyproject.toml is the whole dependency list.
#
#   docker build -t aura-api .
#   docker run --rm -p 8000:8000 -v "$PWD/artifacts:/artifacts:ro" aura-api

# The base image is an argument so that a mirror or a local build of the same Debian/Python 3.11
# base can stand in for Docker Hub: docker build --build-arg PYTHON_IMAGE=... -t aura-api .
ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS build
WORKDIR /src
COPY pyproject.toml README.md constraints.txt ./
# One list of dependencies: the [serve] extra, read from pyproject.toml, at the versions the
# project's lock (constraints.txt) holds, their own dependencies included.
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['optional-dependencies']['serve']))" > requirements-serve.txt \
 && python -m venv /opt/aura \
 && /opt/aura/bin/pip install --no-cache-dir -c constraints.txt -r requirements-serve.txt
# Only the packages the service imports: the API, the manifest and pool readers, the simulator's
# numpy-only matching code, the `aura` command's entry point (`aura serve` alone, here), the
# file helpers (aura/files.py, with the signal handling its all-or-nothing writes hold interrupts
# with, aura/interrupts.py) and the reading of JSON in other encodings (aura/json_encoding.py).
COPY aura/__init__.py aura/command.py aura/files.py aura/interrupts.py aura/json_encoding.py aura/
COPY aura/api aura/api
COPY aura/export aura/export
COPY aura/sim aura/sim
RUN /opt/aura/bin/pip install --no-cache-dir --no-deps .

FROM ${PYTHON_IMAGE}
RUN useradd --create-home --uid 10001 aura
COPY --from=build /opt/aura /opt/aura
ENV PATH=/opt/aura/bin:$PATH \
    AURA_ARTIFACTS=/artifacts \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
USER aura
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=2)"
# As `aura serve` runs it (aura/api/launch.py): the artifacts checked first, so a broken export
# stops the container with a one-line message; then uvicorn on asyncio's own loop, fair to every
# connection under load, with TCP_NODELAY on every connection, also with --workers.
CMD ["python", "-m", "aura.api", "--host", "0.0.0.0", "--port", "8000"]
