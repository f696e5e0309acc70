from allauth.account.adapter import DefaultAccountAdapter
from django.urls import reverse


class AccountAdapter(DefaultAccountAdapter):
    def get_login_redirect_url(self, request):
        user = request.user
        if user.is_authenticated and not (user.is_staff or user.memberships.exists()):
            return "/"  # shoppers have no portal; the app and web shop talk to the API
        return super().get_login_redirect_url(request)

    def is_open_for_signup(self, request):
        # Shoppers sign up through the headless API (app/web); staff accounts are made by head office.
        return request.path.startswith("/_allauth/")

    def get_signup_redirect_url(self, request):
        return reverse("home")
