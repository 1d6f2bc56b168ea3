"""Truck stock: the store behind the reorder_stock action, and receiving or cancelling stock orders."""
