from django.contrib import admin

from .models import Answer, Option, Question, Submission, Survey


class QuestionInline(admin.TabularInline):
    model = Question
    extra = 0
    fields = ["position", "kind", "prompt", "required"]


class OptionInline(admin.TabularInline):
    model = Option
    extra = 0
    fields = ["position", "text"]


class AnswerInline(admin.TabularInline):
    model = Answer
    extra = 0
    fields = ["question", "option", "text", "number"]
    raw_id_fields = ["question", "option"]


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    list_display = ["title", "version", "owner", "status", "created_at", "started_at", "closed_at"]
    list_filter = ["status", "created_at"]
    search_fields = ["title", "owner__username", "public_token"]
    readonly_fields = ["public_token", "created_at", "updated_at"]
    raw_id_fields = ["owner", "previous_version"]
    inlines = [QuestionInline]


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["prompt", "kind", "required", "survey", "position"]
    list_filter = ["kind", "required", "survey__status"]
    search_fields = ["prompt", "survey__title"]
    raw_id_fields = ["survey"]
    inlines = [OptionInline]


@admin.register(Option)
class OptionAdmin(admin.ModelAdmin):
    list_display = ["text", "question", "position"]
    search_fields = ["text", "question__prompt"]
    raw_id_fields = ["question"]


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = ["pk", "survey", "created_at"]
    list_filter = ["created_at", "survey__status"]
    search_fields = ["survey__title", "token"]
    raw_id_fields = ["survey"]
    date_hierarchy = "created_at"
    inlines = [AnswerInline]
