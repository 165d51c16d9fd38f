from django.urls import path

from doha.checklists import views

app_name = "checklists"

urlpatterns = [
    path("", views.TemplateListView.as_view(), name="template_list"),
    path("add/", views.TemplateCreateView.as_view(), name="template_add"),
    path("import/", views.TemplateImportView.as_view(), name="template_import"),
    path("fills/", views.FillListView.as_view(), name="fill_list"),
    path("fills/<str:uid>/", views.FillDetailView.as_view(), name="fill_detail"),
    path("fills/<str:uid>/edit/", views.FillFormView.as_view(), name="fill_edit"),
    path("visit/<str:visit>/fill/", views.FillFormView.as_view(), name="fill_add"),
    path("<str:uid>/", views.TemplateDetailView.as_view(), name="template_detail"),
    path("<str:uid>/edit/", views.TemplateEditView.as_view(), name="template_edit"),
    path(
        "<str:uid>/publish/",
        views.TemplateActionView.as_view(operation="publish"),
        name="template_publish",
    ),
    path(
        "<str:uid>/retire/",
        views.TemplateActionView.as_view(operation="retire"),
        name="template_retire",
    ),
    path(
        "<str:uid>/new-version/",
        views.TemplateActionView.as_view(operation="new_version"),
        name="template_new_version",
    ),
    path("<str:uid>/sections/add/", views.SectionFormView.as_view(), name="section_add"),
    path("<str:uid>/sections/<int:pk>/", views.SectionFormView.as_view(), name="section_edit"),
    path(
        "<str:uid>/sections/<int:pk>/delete/",
        views.PartDeleteView.as_view(part="section"),
        name="section_delete",
    ),
    path(
        "<str:uid>/sections/<int:pk>/questions/add/",
        views.QuestionFormView.as_view(adding=True),
        name="question_add",
    ),
    path("<str:uid>/questions/<int:pk>/", views.QuestionFormView.as_view(), name="question_edit"),
    path(
        "<str:uid>/questions/<int:pk>/delete/",
        views.PartDeleteView.as_view(part="question"),
        name="question_delete",
    ),
]
