from django.urls import path

from customers.portal import books, giftcards, views

urlpatterns = [
    path("customers/", views.search, name="search"),
    path("customers/book/", books.book, name="book"),
    path("customers/book/reassign/", books.reassign_book, name="reassign-book"),
    path("giftcards/", giftcards.balance, name="giftcard-balance"),
    path("customers/new/", views.new_customer, name="new"),
    path("customers/<int:customer_id>/consent/", views.consent, name="consent"),
    path("customers/<int:customer_id>/", views.detail, name="detail"),
    path("customers/<int:customer_id>/panels/", views.below_fold, name="below-fold"),
    path("customers/<int:customer_id>/timeline/", views.timeline, name="timeline"),
    path("customers/<int:customer_id>/notes/", views.notes, name="notes"),
    path("customers/<int:customer_id>/notes/<int:note_id>/pin/", views.pin, name="pin-note"),
    path("customers/<int:customer_id>/tasks/", views.tasks, name="tasks"),
    path("customers/<int:customer_id>/tasks/<int:task_id>/close/", views.close_task, name="close-task"),
    path("customers/<int:customer_id>/offers/", views.offers, name="offers"),
    path("customers/<int:customer_id>/lists/", views.lists, name="lists"),
    path("customers/<int:customer_id>/recommendations/", views.recommendations, name="recommendations"),
    path("customers/<int:customer_id>/assign/", views.assign_to_me, name="assign"),
    path("customers/<int:customer_id>/export.json", views.export, name="export"),
]
