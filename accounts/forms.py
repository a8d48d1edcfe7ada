from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm

from lib import mail_policy


class SignUpForm(UserCreationForm):
    email = forms.EmailField(
        help_text="We send a link to confirm it, and password resets go there.",
        validators=[mail_policy.check_recipient],
    )

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ["username", "email"]


class PasswordConfirmForm(forms.Form):
    """Asks for the current password before a sensitive change."""

    password = forms.CharField(
        label="Your current password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That is not your current password.")
        return password


class EmailChangeForm(PasswordConfirmForm):
    email = forms.EmailField(label="New email address", validators=[mail_policy.check_recipient])

    field_order = ["email", "password"]


class RetentionForm(forms.Form):
    retention_days = forms.IntegerField(
        label="Delete responses this many days after a survey closes",
        required=False,
        min_value=0,
        max_value=3650,
        help_text="For surveys you create from now on; each survey can change it. "
        "Leave empty to keep responses until you delete them.",
    )
