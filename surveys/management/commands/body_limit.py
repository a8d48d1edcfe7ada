from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Print the largest request body this site takes, in bytes (REQUEST_MAX_BYTES, from "
        "UPLOAD_MAX_MB): NGINX's client_max_body_size, rendered into deploy/nginx/canvass.conf."
    )

    def handle(self, *args, **options):
        self.stdout.write(str(settings.REQUEST_MAX_BYTES))
