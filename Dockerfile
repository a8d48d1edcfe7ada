# Canvass web image: Gunicorn serving the app; NGINX and PostgreSQL run beside it
# (docker-compose.yml). Logs go to standard output and error.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    GUNICORN_BIND=0.0.0.0:8000 \
    GUNICORN_LOG_DIR=- \
    STATIC_ROOT=/static

WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY . .
RUN useradd --system --home-dir /app canvass \
    && mkdir -p /static /private && chown canvass /static /private
USER canvass

EXPOSE 8000
# Collect static files into the volume NGINX serves, apply migrations, then serve.
CMD ["sh", "-c", "python manage.py collectstatic --noinput && python manage.py migrate --noinput && exec gunicorn -c deploy/gunicorn.conf.py config.wsgi:application"]
