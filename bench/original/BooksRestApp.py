"""The original stack, for comparison only: the books REST API as the seed app built it, Flask +
pymongo, run by gunicorn with 4 workers x 2 threads (bench/run starts it). Same routes, query
names and answer shapes as BooksAPI's /books; it is not part of the product."""
import os
import uuid

from flask import Flask, abort, jsonify, request
from pymongo import ASCENDING, DESCENDING, MongoClient

app = Flask(__name__)
client = MongoClient(os.environ.get("MONGODB_URL", "mongodb://localhost:27017/bookdata"))
books = client.get_default_database("bookdata").books


@app.route("/books", methods=["GET"])
def get_books():
    cursor = books.find({}, {"_id": 0})
    if request.args.get("sortasc"):
        cursor = cursor.sort(request.args["sortasc"], ASCENDING)
    elif request.args.get("sortdesc"):
        cursor = cursor.sort(request.args["sortdesc"], DESCENDING)
    cursor = cursor.skip(int(request.args.get("skip", 0))).limit(int(request.args.get("limit", 0)))
    return jsonify(list(cursor))


@app.route("/books", methods=["POST"])
def add_book():
    book = request.get_json()
    book["id"] = uuid.uuid4().hex
    books.insert_one(book)
    return jsonify({"Inserted": {"id": book["id"]}}), 201


@app.route("/books/<book_id>", methods=["GET"])
def get_book(book_id):
    book = books.find_one({"id": book_id}, {"_id": 0})
    if book is None:
        abort(404)
    return jsonify(book)


@app.route("/books/<book_id>", methods=["PUT"])
def update_book(book_id):
    result = books.update_one({"id": book_id}, {"$set": request.get_json()})
    if result.matched_count == 0:
        abort(404)
    return jsonify({"Updated": {"id": book_id}})


@app.route("/books/<book_id>", methods=["DELETE"])
def delete_book(book_id):
    if books.delete_one({"id": book_id}).deleted_count == 0:
        abort(404)
    return jsonify({"Deleted": {"id": book_id}})
