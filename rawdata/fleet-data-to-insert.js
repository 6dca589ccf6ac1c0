// A small sample fleet: six cars, three lorries and two trucks, with a week of bookings, two holds
// and a maintenance window around today, so a newcomer's first look at the timeline shows what
// it is for. One source of truth:
//   MongoDB:        mongosh mongodb://HOST:27017 rawdata/fleet-data-to-insert.js
//   Embedded store: loaded into a new, empty store, or by `BooksAPI seed [--replace]`.
// Bookings are placed relative to today (00:00 UTC): `day` counts days from today, `start` is the
// UTC time of day and `hours` the length. A hold (`tentative`) expires 15 minutes (HOLD_TTL's
// default) after loading. BooksAPI reads the array assigned to `fleet` below: keep it strict JSON.
db = db.getSiblingDB('bookdata');
const fleet = [
  {"type": "car", "id": "sample-car-1", "name": "Astra · KX21 ABC", "turnaround_minutes": 15, "bookings": [
    {"day": -2, "start": "08:00", "hours": 9, "allocation_type": "hire", "description": "Mrs Patel, airport return"},
    {"day": 0, "start": "09:00", "hours": 4, "allocation_type": "hire", "description": "Walk-in customer"},
    {"day": 1, "start": "13:00", "hours": 27, "allocation_type": "hire", "description": "Weekend away"}]},
  {"type": "car", "id": "sample-car-2", "name": "Corsa · LM70 DEF", "bookings": [
    {"day": -1, "start": "10:00", "hours": 3, "allocation_type": "hire"},
    {"day": 0, "start": "14:00", "hours": 3, "allocation_type": "hire", "status": "tentative", "description": "Held while the customer decides"},
    {"day": 3, "start": "08:00", "hours": 8, "allocation_type": "maintenance", "description": "MOT and service"}]},
  {"type": "car", "id": "sample-car-3", "name": "Golf · NP19 GHI", "bookings": [
    {"day": 0, "start": "07:30", "hours": 10, "allocation_type": "hire", "description": "Corporate account: Harlow & Co"},
    {"day": 2, "start": "09:00", "hours": 2, "allocation_type": "hire", "status": "cancelled", "description": "Cancelled by phone"},
    {"day": 4, "start": "09:00", "hours": 48, "allocation_type": "hire"}]},
  {"type": "car", "id": "sample-car-4", "name": "Leaf · EV22 JKL", "turnaround_minutes": 45, "bookings": [
    {"day": -3, "start": "09:00", "hours": 6, "allocation_type": "hire"},
    {"day": 1, "start": "08:00", "hours": 5, "allocation_type": "hire", "description": "Charge to 100% before handover"}]},
  {"type": "car", "id": "sample-car-5", "name": "Octavia · OV68 MNO", "bookings": [
    {"day": 0, "start": "12:00", "hours": 2, "allocation_type": "maintenance", "description": "Tyre change"},
    {"day": 2, "start": "10:00", "hours": 30, "allocation_type": "hire"}]},
  {"type": "car", "id": "sample-car-6", "name": "Yaris · YR20 PQR", "bookings": []},
  {"type": "lorry", "id": "sample-lorry-1", "name": "7.5 t box · LR18 STU", "turnaround_minutes": 30, "bookings": [
    {"day": 0, "start": "06:00", "hours": 10, "allocation_type": "delivery", "description": "Furniture run: Leeds and back"},
    {"day": 2, "start": "06:00", "hours": 10, "allocation_type": "delivery"}]},
  {"type": "lorry", "id": "sample-lorry-2", "name": "18 t curtainsider · LR21 VWX", "bookings": [
    {"day": -1, "start": "05:00", "hours": 12, "allocation_type": "delivery"},
    {"day": 1, "start": "07:00", "hours": 2, "allocation_type": "delivery", "status": "tentative", "description": "Quote sent; held for the customer"},
    {"day": 3, "start": "08:00", "hours": 6, "allocation_type": "maintenance", "description": "Tachograph calibration"}]},
  {"type": "lorry", "id": "sample-lorry-3", "name": "Tail-lift 12 t · LR16 YZA", "bookings": [
    {"day": 0, "start": "08:00", "hours": 8, "allocation_type": "hire"}]},
  {"type": "truck", "id": "sample-truck-1", "name": "Tractor unit · TK19 BCD", "bookings": [
    {"day": -1, "start": "04:00", "hours": 40, "allocation_type": "haulage", "description": "Felixstowe container"},
    {"day": 3, "start": "04:00", "hours": 14, "allocation_type": "haulage"}]},
  {"type": "truck", "id": "sample-truck-2", "name": "Tipper · TK22 EFG", "bookings": [
    {"day": 0, "start": "07:00", "hours": 9, "allocation_type": "hire", "description": "Site clearance, Unit 4"},
    {"day": 5, "start": "07:00", "hours": 9, "allocation_type": "maintenance", "description": "Hydraulics inspection"}]}
];
// The layout BooksAPI keeps in MongoDB (see MongoStore+Allocations.swift): each resource document
// holds its allocations' entries (`to` includes the turnaround; `end` is the shown end then),
// and the `allocations` collection their details.
const dayMs = 86400000, now = Date.now(), today = Math.floor(now / dayMs) * dayMs;
const collections = {car: "cars", lorry: "lorries", truck: "trucks"};
for (const r of fleet) {
  const entries = [], details = [];
  r.bookings.forEach((b, i) => {
    const [h, m] = b.start.split(":").map(Number);
    const from = today + b.day * dayMs + (h * 60 + m) * 60000, to = from + b.hours * 3600000;
    const id = r.id + "-" + (i + 1), buffer = (r.turnaround_minutes || 0) * 60000;
    const entry = {id: id, from: Long.fromNumber(from), to: Long.fromNumber(to + buffer)};
    if (buffer) entry.end = Long.fromNumber(to);
    if (b.status && b.status !== "confirmed") entry.status = b.status;
    if (b.status === "tentative") entry.expires_at = Long.fromNumber(now + 15 * 60000);
    entries.push(entry);
    const detail = {kind: r.type, resource_id: r.id, id: id, allocation_type: b.allocation_type, created_at: Long.fromNumber(now)};
    if (b.description) detail.description = b.description;
    details.push(detail);
  });
  db[collections[r.type]].deleteOne({id: r.id});
  db.allocations.deleteMany({kind: r.type, resource_id: r.id});
  const doc = {id: r.id, name: r.name, type: r.type, created_at: new Date(now), allocations: entries};
  if (r.turnaround_minutes) doc.turnaround_minutes = Long.fromNumber(r.turnaround_minutes);
  db[collections[r.type]].insertOne(doc);
  if (details.length) db.allocations.insertMany(details);
}
