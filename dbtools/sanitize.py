"""Make a copy of production data safe to keep on a laptop.

Every account gets a made-up username and email and an unusable password. The survey
structure and every count stay as they are. Answers are choices of options; free-text
answers, once they exist, are blanked here too.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models import CharField, Value
from django.db.models.functions import Cast, Concat


@transaction.atomic
def sanitize():
    user_id = Cast("pk", output_field=CharField())
    users = get_user_model().objects.update(
        username=Concat(Value("user"), user_id),
        email=Concat(Value("user"), user_id, Value("@example.invalid")),
        first_name="",
        last_name="",
        password=make_password(None),
    )
    Session.objects.all().delete()
    return {"users": users}
