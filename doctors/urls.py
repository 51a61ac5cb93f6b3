app_name = "doctors"
urlpatterns = []
