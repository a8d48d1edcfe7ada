from django import forms

from surveys.models import Event

from .models import EmailNotification, WebhookEndpoint


class EndpointForm(forms.ModelForm):
    url = forms.URLField(
        label="Address (https://…)",
        max_length=500,
        assume_scheme="https",
        help_text="Canvass POSTs each event there as JSON, signed per Standard Webhooks.",
        widget=forms.URLInput(attrs={"placeholder": "https://example.com/hooks"}),
    )
    events = forms.MultipleChoiceField(
        label="Send these events",
        choices=[(kind.value, kind.label) for kind in WebhookEndpoint.EVENT_TYPES],
        widget=forms.CheckboxSelectMultiple,
        initial=[Event.Type.RESPONSE_SUBMITTED],
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["url", "description", "events"]
        labels = {"description": "What it is for (optional)"}


class NotificationForm(forms.ModelForm):
    class Meta:
        model = EmailNotification
        fields = ["each_response", "daily_digest", "include_answers"]
        labels = {
            "each_response": "Email me for each response",
            "daily_digest": "Email me a daily digest",
            "include_answers": "Put the answers in the emails",
        }
        help_texts = {"include_answers": "Off: emails say a response came, not what it says."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cap = EmailNotification.cap()
        hint = f"At most {cap} an hour; then one email says how many more came."
        self.fields["each_response"].help_text = hint
