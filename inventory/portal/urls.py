from django.urls import path

from inventory.portal import views

app_name = "inventory_portal"
urlpatterns = [
    path("stock/", views.lookup, name="lookup"),
    path("stock/transfers/", views.transfers, name="transfers"),
    path("stock/transfers/request/", views.transfer_request, name="transfer-request"),
    path("stock/transfers/<int:pk>/ship/", views.transfer_ship, name="transfer-ship"),
    path("stock/transfers/<int:pk>/receive/", views.transfer_receive, name="transfer-receive"),
    path("stock/counts/", views.count_list, name="counts"),
    path("stock/counts/start/", views.count_start, name="count-start"),
    path("stock/counts/<int:pk>/", views.count_sheet, name="count"),
    path("stock/counts/<int:pk>/scan/", views.count_scan, name="count-scan"),
    path("stock/counts/<int:pk>/set/", views.count_set, name="count-set"),
    path("stock/counts/<int:pk>/review/", views.count_review, name="count-review"),
    path("stock/counts/<int:pk>/post/", views.count_post, name="count-post"),
    path("stock/counts/<int:pk>/decide/", views.count_decide, name="count-decide"),
    path("stock/counts/<int:pk>/cancel/", views.count_cancel, name="count-cancel"),
]
