"""What the services refuse, each with the sentence to tell the person. Pages show the
message; the API answers it as {"detail": message} with the status in api/exceptions.py."""


class Refused(Exception):
    """A rule said no. `message` is what to tell the person."""

    message = "That can't be done."

    def __init__(self, message=None):
        if message is not None:
            self.message = message
        super().__init__(self.message)


class LimitReached(Refused):
    """One more would pass a cap on surveys, questions or options."""


class SurveyNotEditable(Refused):
    """The survey is no longer a draft, so its questions and options are frozen."""

    message = "This survey has started, so its questions and options can no longer change."

    def __init__(self, survey):
        super().__init__()
        self.survey = survey


class SurveyClosed(Refused):
    """The survey takes no answers: it is closed (or, to a stale caller, still a draft)."""

    message = "This survey is closed."

    def __init__(self, survey):
        super().__init__()
        self.survey = survey


class EditsOff(Refused):
    """The survey's creator doesn't let respondents change or withdraw their responses."""

    message = "The people running this survey don't take changes to answers."

    def __init__(self, survey):
        super().__init__()
        self.survey = survey


class Stale(Refused):
    """Someone changed it after the caller read it: the revision the caller read is no
    longer the current one. `current` is the row as it is now, to show beside the
    caller's own change so the person can keep either."""

    message = (
        "This was changed after you opened it, in another tab or by someone else, "
        "so your change was not saved."
    )

    def __init__(self, current):
        super().__init__()
        self.current = current


class WrongStatus(Refused):
    """The survey is not in the state this change starts from (closing a closed survey,
    reopening a running one, a new version of a replaced one)."""


class ExportExpired(Refused):
    """The export's time is up (EXPORT_KEEP_HOURS): its file is no longer served."""

    message = "This export has expired, so its file can no longer be downloaded. Export again."


class NoOptions(Refused):
    """Only choice questions have options."""

    def __init__(self, question):
        super().__init__(f"A {question.kind_def.label.lower()} question has no options.")
