from django.urls import path

from doha.programmes import views

app_name = "programmes"

urlpatterns = [
    path("", views.ProgrammeListView.as_view(), name="programme_list"),
    path("add/", views.ProgrammeCreateView.as_view(), name="programme_add"),
    path("surveys/", views.SurveyListView.as_view(), name="survey_list"),
    path("surveys/add/", views.SurveyCreateView.as_view(), name="survey_add"),
    path("surveys/<str:uid>/", views.SurveyDetailView.as_view(), name="survey_detail"),
    path("surveys/<str:uid>/edit/", views.SurveyEditView.as_view(), name="survey_edit"),
    path("surveys/<str:uid>/close/", views.SurveyCloseView.as_view(), name="survey_close"),
    path(
        "surveys/<str:uid>/respond/<str:facility_uid>/",
        views.ResponseEditView.as_view(),
        name="response_edit",
    ),
    path("responses/<int:pk>/", views.ResponseDetailView.as_view(), name="response_detail"),
    path("responses/<int:pk>/submit/", views.ResponseSubmitView.as_view(), name="response_submit"),
    path("responses/<int:pk>/reopen/", views.ResponseReopenView.as_view(), name="response_reopen"),
    path("needs/", views.NeedTableView.as_view(), name="need_list"),
    path("assessments/", views.AssessmentListView.as_view(), name="assessment_list"),
    path("assessments/add/", views.AssessmentCreateView.as_view(), name="assessment_add"),
    path("assessments/<int:pk>/", views.AssessmentDetailView.as_view(), name="assessment_detail"),
    path("assessments/<int:pk>/edit/", views.AssessmentEditView.as_view(), name="assessment_edit"),
    path("lookup/techniques/", views.TechniqueLookupView.as_view(), name="lookup_techniques"),
    path("lookup/units/", views.UnitLookupView.as_view(), name="lookup_units"),
    # Programme UIDs last: "surveys", "needs" ... are not UIDs.
    path("<str:uid>/", views.ProgrammeDetailView.as_view(), name="programme_detail"),
    path("<str:uid>/edit/", views.ProgrammeEditView.as_view(), name="programme_edit"),
]
