"""The schema and the records both examples of this folder produce."""

import json

# --8<-- [start:schema]
ORDER_SCHEMA = json.dumps(
    {
        "type": "record",
        "name": "OrderPlaced",
        "namespace": "shop.orders",
        "fields": [
            {"name": "order_id", "type": "string"},
            {"name": "quantity", "type": "int"},
        ],
    }
)
# --8<-- [end:schema]
ORDERS = [{"order_id": f"o-{i}", "quantity": i + 1} for i in range(3)]
