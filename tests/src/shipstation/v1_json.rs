//! The V1 JSON of shipments, orders, fulfillments and webhooks: camelCase fields, integer ids, costs
//! as JSON numbers, Pacific local timestamps; shipment items only when asked for.

use serde_json::{Value, json};

use super::model::{Address, Fulfillment, Item, Order, Shipment, Subscription, Weight};
use super::pacific::{date, timestamp};
use crate::json_decimal::decimal;

fn address(address: &Address) -> Value {
    json!({
        "name": address.name,
        "company": address.company,
        "street1": address.street1,
        "street2": address.street2.clone().unwrap_or_default(),
        "street3": null,
        "city": address.city,
        "state": address.state,
        "postalCode": address.postal_code,
        "country": address.country,
        "phone": address.phone,
        "residential": address.residential,
        "addressVerified": "Address validated successfully",
    })
}

fn weight(weight: &Weight) -> Value {
    let code = match weight.units.as_str() {
        "pounds" => 2,
        "grams" => 3,
        _ => 1,
    };
    json!({"value": decimal(weight.value), "units": weight.units, "WeightUnits": code})
}

fn item(item: &Item, index: usize) -> Value {
    json!({
        "orderItemId": index + 1,
        "lineItemKey": format!("line-{}", index + 1),
        "sku": item.sku,
        "name": item.name,
        "imageUrl": null,
        "weight": weight(&item.weight),
        "quantity": item.quantity,
        "unitPrice": decimal(item.unit_price),
        "taxAmount": null,
        "shippingAmount": null,
        "warehouseLocation": null,
        "options": [],
        "productId": null,
        "fulfillmentSku": null,
        "adjustment": false,
        "upc": null,
    })
}

fn items(items: &[Item]) -> Value {
    items
        .iter()
        .enumerate()
        .map(|(index, entry)| item(entry, index))
        .collect()
}

pub fn shipment_json(shipment: &Shipment, include_items: bool) -> Value {
    let spec = &shipment.spec;
    json!({
        "shipmentId": shipment.id,
        "orderId": shipment.order_id,
        "orderKey": shipment.order_key,
        "userId": "c1a2b3c4-0000-4000-8000-000000000001",
        "customerEmail": spec.customer_email,
        "orderNumber": spec.order_number,
        "createDate": timestamp(shipment.created_at),
        "shipDate": date(shipment.ship_at),
        "shipmentCost": decimal(spec.shipment_cost),
        "insuranceCost": decimal(spec.insurance_cost),
        "trackingNumber": spec.tracking_number,
        "isReturnLabel": spec.is_return_label,
        "batchNumber": spec.batch_number,
        "carrierCode": spec.carrier_code,
        "serviceCode": spec.service_code,
        "packageCode": spec.package_code,
        "confirmation": "none",
        "warehouseId": spec.warehouse_id,
        "voided": shipment.voided_at.is_some(),
        "voidDate": shipment.voided_at.map(timestamp),
        "marketplaceNotified": true,
        "notifyErrorMessage": null,
        "shipTo": address(&spec.ship_to),
        "weight": weight(&spec.weight),
        "dimensions": null,
        "insuranceOptions": {"provider": null, "insureShipment": false, "insuredValue": 0.0},
        "advancedOptions": {
            "billToParty": null,
            "billToAccount": null,
            "billToPostalCode": null,
            "billToCountryCode": null,
            "storeId": spec.store_id,
            "customField1": spec.custom_fields[0],
            "customField2": spec.custom_fields[1],
            "customField3": spec.custom_fields[2],
        },
        "shipmentItems": if include_items { items(&spec.items) } else { Value::Null },
        "labelData": null,
        "formData": null,
    })
}

pub fn order_json(order: &Order) -> Value {
    let spec = &order.spec;
    json!({
        "orderId": order.id,
        "orderNumber": spec.order_number,
        "orderKey": order.order_key,
        "orderDate": timestamp(order.created_at),
        "createDate": timestamp(order.created_at),
        "modifyDate": timestamp(order.modified_at),
        "paymentDate": timestamp(order.created_at),
        "orderStatus": order.status,
        "customerEmail": spec.customer_email,
        "billTo": address(&spec.ship_to),
        "shipTo": address(&spec.ship_to),
        "items": items(&spec.items),
        "orderTotal": decimal(order.total()),
        "amountPaid": decimal(spec.amount_paid),
        "taxAmount": decimal(spec.tax_amount),
        "shippingAmount": decimal(spec.shipping_amount),
        "advancedOptions": {"storeId": spec.store_id, "customField1": null, "customField2": null, "customField3": null},
    })
}

pub fn fulfillment_json(fulfillment: &Fulfillment, order: &Order) -> Value {
    json!({
        "fulfillmentId": fulfillment.id,
        "orderId": fulfillment.order_id,
        "orderNumber": order.spec.order_number,
        "userId": null,
        "customerEmail": order.spec.customer_email,
        "trackingNumber": fulfillment.tracking_number,
        "createDate": timestamp(fulfillment.created_at),
        "shipDate": timestamp(fulfillment.ship_at),
        "voidDate": null,
        "deliveryDate": null,
        "carrierCode": fulfillment.carrier_code,
        "fulfillmentProviderCode": null,
        "fulfillmentServiceCode": null,
        "fulfillmentFee": 0.0,
        "voidRequested": false,
        "voided": false,
        "marketplaceNotified": true,
        "notifyErrorMessage": null,
        "shipTo": address(&order.spec.ship_to),
    })
}

pub fn webhook_json(subscription: &Subscription) -> Value {
    json!({
        "IsLabelAPIHook": false,
        "WebHookID": subscription.id,
        "SellerID": 100_001,
        "StoreID": subscription.store_id,
        "HookType": subscription.event,
        "MessageFormat": "Json",
        "Url": subscription.target_url,
        "Name": subscription.friendly_name,
        "Active": true,
    })
}
