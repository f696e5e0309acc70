from django.urls import path

from orders.api import giftcards, shipping, views, wallet

urlpatterns = [
    path("me/cart/", views.MyCartView.as_view(), name="my-cart"),
    path("me/cart/lines/", views.MyCartLinesView.as_view(), name="my-cart-lines"),
    path("me/cart/lines/<str:sku>/", views.MyCartLineView.as_view(), name="my-cart-line"),
    path("me/cart/shipping-methods/", shipping.MyCartShippingView.as_view(), name="my-cart-shipping"),
    path("me/cart/country/", views.MyCartCountryView.as_view(), name="my-cart-country"),
    path("me/cart/merge/", views.MyCartMergeView.as_view(), name="my-cart-merge"),
    path("me/cart/open-sent/", views.MyCartOpenSentView.as_view(), name="my-cart-open-sent"),
    path("me/giftcards/", giftcards.MyGiftCardPurchaseView.as_view(), name="my-giftcard-purchase"),
    path("me/wallet/topups/", wallet.MyWalletTopUpView.as_view(), name="my-wallet-topup"),
    path("me/wallet/paycode/", wallet.MyWalletPayCodeView.as_view(), name="my-wallet-paycode"),
    path("me/orders/", views.MyOrdersView.as_view(), name="my-orders"),
    path("carts/", views.AnonymousCartCreateView.as_view(), name="cart-create"),
    path("carts/<str:token>/", views.AnonymousCartView.as_view(), name="cart-detail"),
    path("carts/<str:token>/shipping-methods/", shipping.CartShippingView.as_view(), name="cart-shipping"),
    path("carts/<str:token>/country/", views.AnonymousCartCountryView.as_view(), name="cart-country"),
    path("orders/", views.CheckoutView.as_view(), name="order-create"),
    path("orders/<str:number>/", views.OrderDetailView.as_view(), name="order-detail"),
    path("orders/<str:number>/qr.svg", views.OrderPickupQrView.as_view(), name="order-pickup-qr"),
    path("orders/<str:number>/cancel/", views.OrderCancelView.as_view(), name="order-cancel"),
    path("orders/<str:number>/arrived/", views.OrderArrivalView.as_view(), name="order-arrived"),
    path("pos/sales/", views.PosSaleView.as_view(), name="pos-sale"),
    path("pos/sales/batch/", views.PosSaleBatchView.as_view(), name="pos-sale-batch"),
    path("pos/giftcards/", giftcards.TillGiftCardView.as_view(), name="pos-giftcard-sale"),
]
