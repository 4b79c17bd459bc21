# The clientseg Airflow image: every Airflow component of docker-compose.yml runs it.
# Dependencies come from uv.lock exactly (`uv sync --frozen`), with the `production` extra
# (the Celery provider for CeleryExecutor workers); no dev tools.
FROM python:3.11-slim

ARG UV_VERSION=0.13.9
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    UV_LINK_MODE=copy \
    UV_COMPILE_BYTECODE=1 \
    AIRFLOW_HOME=/opt/airflow \
    AIRFLOW__CORE__DAGS_FOLDER=/opt/clientseg/dags \
    AIRFLOW__CORE__LOAD_EXAMPLES=False \
    GX_ANALYTICS_ENABLED=False \
    PATH=/opt/venv/bin:$PATH

RUN pip install --no-cache-dir "uv==${UV_VERSION}" \
    && useradd --create-home --uid 50000 --gid 0 airflow

WORKDIR /opt/clientseg

# Third-party packages first: this layer is rebuilt only when the lock changes.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --extra production --no-install-project

# The project (installed editable, so the compose file's bind mounts take effect).
COPY plugins ./plugins
COPY dags ./dags
COPY include ./include
COPY expectations ./expectations
RUN uv sync --frozen --no-dev --extra production \
    && mkdir -p /opt/clientseg/data "${AIRFLOW_HOME}/logs" "${AIRFLOW_HOME}/auth" \
    && chown -R airflow:0 /opt/clientseg/data "${AIRFLOW_HOME}"

USER airflow
