/** The demo catalog `npm start` seeds (prices in minor units, USD). */
export const DEMO_CATALOG = [
  {
    name: "Apparel",
    slug: "apparel",
    products: [
      {
        title: "Edge Hoodie",
        description: "Heavyweight cotton hoodie with the edgeshop logo.",
        variants: [
          { sku: "HOODIE-S", title: "Small", price: { amount: 5900, currency: "USD" }, initialStock: 50 },
          { sku: "HOODIE-M", title: "Medium", price: { amount: 5900, currency: "USD" }, initialStock: 80 },
          { sku: "HOODIE-L", title: "Large", price: { amount: 6200, currency: "USD" }, initialStock: 60 },
        ],
      },
      {
        title: "Worker T-Shirt",
        description: "Soft organic cotton tee.",
        variants: [
          { sku: "TEE-M", title: "Medium", price: { amount: 2500, currency: "USD" }, initialStock: 100 },
          { sku: "TEE-L", title: "Large", price: { amount: 2500, currency: "USD" }, initialStock: 100 },
        ],
      },
      { title: "Durable Cap", description: "A cap that survives every deploy.", variants: [{ sku: "CAP-ONE", title: "One size", price: { amount: 1999, currency: "USD" }, initialStock: 75 }] },
    ],
  },
  {
    name: "Books",
    slug: "books",
    products: [
      { title: "Serverless Patterns", description: "A field guide to building on the edge.", variants: [{ sku: "BOOK-SLP", title: "Paperback", price: { amount: 3900, currency: "USD" }, initialStock: 40 }] },
      { title: "Consistency Models", description: "From linearizability to eventual consistency.", variants: [{ sku: "BOOK-CM", title: "Hardcover", price: { amount: 4900, currency: "USD" }, initialStock: 30 }] },
      { title: "The Idempotent Engineer", description: "Retries without regret.", variants: [{ sku: "BOOK-IE", title: "Paperback", price: { amount: 2900, currency: "USD" }, initialStock: 60 }] },
    ],
  },
  {
    name: "Gadgets",
    slug: "gadgets",
    products: [
      { title: "Latency Timer", description: "A desk clock that counts in milliseconds.", variants: [{ sku: "GAD-TIMER", title: "Black", price: { amount: 7900, currency: "USD" }, initialStock: 25 }] },
      {
        title: "Edge Mug",
        description: "Ceramic mug, dishwasher safe.",
        variants: [
          { sku: "MUG-WHITE", title: "White", price: { amount: 1500, currency: "USD" }, initialStock: 90 },
          { sku: "MUG-BLACK", title: "Black", price: { amount: 1500, currency: "USD" }, initialStock: 90 },
        ],
      },
      { title: "Sticker Pack", description: "Ten vinyl stickers.", variants: [{ sku: "STICKERS-10", title: "Pack of 10", price: { amount: 800, currency: "USD" }, initialStock: 100 }] },
    ],
  },
];
