# jointinspect API + web UI. Build: docker build -t jointinspect .
FROM python:3.11-slim
WORKDIR /srv/jointinspect
COPY pyproject.toml README.md ./
COPY domain ./domain
COPY projections ./projections
COPY api ./api
COPY web ./web
RUN pip install --no-cache-dir -e . && useradd --system --home /srv/jointinspect app && mkdir -p var && chown app var
USER app
ENV JOINTINSPECT_HOST=0.0.0.0 JOINTINSPECT_PORT=8000
EXPOSE 8000
CMD ["jointinspect", "serve"]
