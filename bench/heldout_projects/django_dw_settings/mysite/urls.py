from django.urls import path

from dashboard import views

urlpatterns = [path("kpis/", views.kpis), path("funnel/", views.funnel)]
