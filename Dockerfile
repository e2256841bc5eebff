FROM python:3.11-slim
ENV PIP_NO_CACHE_DIR=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 LITELLM_LOCAL_MODEL_COST_MAP=True
WORKDIR /app
COPY pyproject.toml README.md ./
COPY service service
COPY graph graph
COPY ontology ontology
COPY cypher cypher
RUN pip install .
EXPOSE 8000
CMD ["kgrag", "serve", "--host", "0.0.0.0", "--port", "8000"]
