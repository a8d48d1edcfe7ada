from django.core.management.base import BaseCommand

from integrations import services


class Command(BaseCommand):
    help = (
        "Deliver what is waiting: new events into deliveries, then every delivery that is "
        "due, once. Workers do this by themselves; this is for a site without them."
    )

    def handle(self, *args, **options):
        emailed = services.dispatch_events()
        from integrations.tasks import email_response

        for event_id in emailed:
            email_response(event_id)
        outcomes = []
        # A batch per endpoint at a time; those left untried are due again at once.
        while batches := services.queue_due():
            for batch in batches:
                outcomes.extend(services.attempt_batch(delivery_ids=batch))
        delivered = sum(1 for result in outcomes if result.succeeded)
        self.stdout.write(f"{delivered} of {len(outcomes)} deliveries succeeded.")
