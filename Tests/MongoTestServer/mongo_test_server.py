#!/usr/bin/env python3
"""A MongoDB wire-protocol test server, for tests only.

It speaks OP_MSG (with document sequences, checksums and moreToCome) and the legacy OP_QUERY
handshake, decodes BSON with pymongo's `bson`, and gets query and update semantics from mongomock.
It implements the commands the BooksAPI store uses: hello/isMaster, ping, buildInfo, insert, find,
getMore, killCursors, update, delete, findAndModify, aggregate, createIndexes, drop and endSessions,
and mongod's configureFailPoint for its failCommand fail point (faults on demand).
Any other command answers CommandNotFound, so gaps are loud.

With --data-file, every acknowledged write is on disk (fsync, then an atomic rename) before the
reply goes out, like a real server with journaling, and a restart loads it back: a test can kill
this server with SIGKILL and still hold it to every write it acknowledged.

Usage: mongo_test_server.py [--port 0] [--delay-ms N] [--data-file PATH] [--command-log PATH]
       [--replica-set NAME] [--user NAME:PASSWORD]   (prints "listening on PORT")
"""
import argparse
import base64
import hashlib
import hmac
import json
import datetime
import itertools
import os
import socket
import socketserver
import struct
import sys
import threading

import bson
import mongomock
import mongomock.filtering
from bson.codec_options import CodecOptions
from bson.int64 import Int64
from bson.objectid import ObjectId

OP_REPLY, OP_QUERY, OP_MSG = 1, 2004, 2013
CHECKSUM_PRESENT, MORE_TO_COME = 1, 2
CODEC = CodecOptions(document_class=dict)
MAX_WIRE_VERSION = 13  # MongoDB 5.0

client = mongomock.MongoClient()
lock = threading.RLock()  # one lock serialises writes, as a real server does per document
cursors = {}
cursor_ids = itertools.count(1000)
connection_ids = itertools.count(1)
request_ids = itertools.count(1)
delay_seconds = 0.0
data_file = None
command_log = None
command_log_lock = threading.Lock()
WRITE_COMMANDS = {"insert", "update", "delete", "findAndModify", "findandmodify", "createIndexes", "drop"}
HANDSHAKE = {"hello", "isMaster", "ismaster"}


def error(message, code=8, code_name="UnknownError"):
    return {"ok": 0.0, "errmsg": message, "code": code, "codeName": code_name}


class CommandError(Exception):
    """A command's failure, answered as mongod answers it."""
    def __init__(self, message, code, code_name):
        super().__init__(message)
        self.reply = error(message, code, code_name)


def collection(cmd, name_key):
    return client[cmd.get("$db", "test")][cmd[name_key]]


def namespace(cmd, name_key):
    return "%s.%s" % (cmd.get("$db", "test"), cmd[name_key])


def batch(ns, docs, batch_size, first):
    size = batch_size if batch_size and batch_size > 0 else 101
    head, rest = docs[:size], docs[size:]
    cursor_id = 0
    if rest:
        cursor_id = next(cursor_ids)
        cursors[cursor_id] = (ns, rest)
    return {"cursor": {"firstBatch" if first else "nextBatch": head, "id": Int64(cursor_id), "ns": ns}, "ok": 1.0}


# --replica-set NAME: answer hello as the primary of a one-member replica set, so a driver
# given ?replicaSet=NAME discovers a replica set and sends what it sends to one (read
# preferences, sessions, retryable writes) (https://www.mongodb.com/docs/manual/reference/command/hello/).
replica_set = None
me = None
process_id = ObjectId()


# --user NAME:PASSWORD: require SCRAM-SHA-256 authentication (RFC 5802, RFC 7677), as mongod
# with --auth does: saslStart and saslContinue log a connection in; any other command but the
# handshake on a connection not logged in fails with Unauthorized (13); a wrong password with
# AuthenticationFailed (18) (https://www.mongodb.com/docs/manual/core/security-scram/).
users = {}
authenticated = set()
conversations = {}
SCRAM_ITERATIONS = 4096


def scram_keys(password, salt):
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, SCRAM_ITERATIONS)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    return hashlib.sha256(client_key).digest(), hmac.new(salted, b"Server Key", hashlib.sha256).digest()


def scram_fields(message):
    return dict(part.split("=", 1) for part in message.split(","))


def auth_failed():
    return error("Authentication failed.", 18, "AuthenticationFailed")


def cmd_sasl_start(cmd, conn_id):
    if cmd.get("mechanism") != "SCRAM-SHA-256":
        return error("Unsupported mechanism %s" % cmd.get("mechanism"), 334, "MechanismUnavailable")
    client_first = bytes(cmd["payload"]).decode()
    bare = client_first.split(",", 2)[2]  # after the GS2 header "n,,"
    fields = scram_fields(bare)
    user = fields["n"].replace("=2C", ",").replace("=3D", "=")
    if user not in users:
        return auth_failed()
    salt = hashlib.sha256(user.encode()).digest()[:28]  # mongod uses 28 bytes for SHA-256; libmongoc insists
    nonce = fields["r"] + base64.b64encode(os.urandom(18)).decode()
    server_first = "r=%s,s=%s,i=%d" % (nonce, base64.b64encode(salt).decode(), SCRAM_ITERATIONS)
    conversation = next(request_ids)
    conversations[(conn_id, conversation)] = {"user": user, "salt": salt, "nonce": nonce, "auth": bare + "," + server_first, "done": False}
    return {"conversationId": conversation, "done": False, "payload": bson.Binary(server_first.encode()), "ok": 1.0}


def cmd_sasl_continue(cmd, conn_id):
    state = conversations.get((conn_id, cmd.get("conversationId")))
    if state is None:
        return error("No SASL session state found", 17, "ProtocolError")
    if state["done"]:  # the client's empty last step, without skipEmptyExchange
        authenticated.add(conn_id)
        return {"conversationId": cmd["conversationId"], "done": True, "payload": bson.Binary(b""), "ok": 1.0}
    client_final = bytes(cmd["payload"]).decode()
    without_proof, _, proof = client_final.rpartition(",p=")
    if scram_fields(without_proof).get("r") != state["nonce"]:
        return auth_failed()
    stored_key, server_key = scram_keys(users[state["user"]], state["salt"])
    auth_message = (state["auth"] + "," + without_proof).encode()
    signature = hmac.new(stored_key, auth_message, hashlib.sha256).digest()
    client_key = bytes(a ^ b for a, b in zip(base64.b64decode(proof), signature))
    if not hmac.compare_digest(hashlib.sha256(client_key).digest(), stored_key):
        return auth_failed()
    state["done"] = True
    server_final = "v=" + base64.b64encode(hmac.new(server_key, auth_message, hashlib.sha256).digest()).decode()
    skip_empty = bool((cmd.get("options") or {}).get("skipEmptyExchange")) or state.get("skip_empty", False)
    if skip_empty:
        authenticated.add(conn_id)
    return {"conversationId": cmd["conversationId"], "done": skip_empty, "payload": bson.Binary(server_final.encode()), "ok": 1.0}


def cmd_hello(cmd, conn_id):
    reply = {"helloOk": True, "ismaster": True, "isWritablePrimary": True, "maxBsonObjectSize": 16 * 1024 * 1024,
             "maxMessageSizeBytes": 48000000, "maxWriteBatchSize": 100000,
             "localTime": datetime.datetime.now(datetime.timezone.utc), "logicalSessionTimeoutMinutes": 30,
             "connectionId": conn_id, "minWireVersion": 0, "maxWireVersion": MAX_WIRE_VERSION, "readOnly": False, "ok": 1.0}
    if users and "saslSupportedMechs" in cmd:
        reply["saslSupportedMechs"] = ["SCRAM-SHA-256"]
    if replica_set:
        reply.update(setName=replica_set, hosts=[me], primary=me, me=me, secondary=False, setVersion=1,
                     electionId=ObjectId("7fffffff0000000000000001"),
                     topologyVersion={"processId": process_id, "counter": Int64(0)})
    return reply


# mongod's document limit (https://www.mongodb.com/docs/manual/reference/limits/#mongodb-limit-BSON-Document-Size):
# an insert past it fails with BSONObjectTooLarge (10334), an update whose result would pass it
# with 17419, and the document is left as it was.
MAX_BSON_OBJECT_SIZE = 16 * 1024 * 1024


def too_large(doc):
    return doc is not None and len(bson.encode(doc, codec_options=CODEC)) > MAX_BSON_OBJECT_SIZE


def cmd_insert(cmd):
    coll = collection(cmd, "insert")
    n, write_errors = 0, []
    for index, doc in enumerate(cmd.get("documents", [])):
        doc.setdefault("_id", ObjectId())
        if too_large(doc):
            write_errors.append({"index": index, "code": 10334, "errmsg": "object to insert too large. size in bytes: %d, max size: %d"
                                 % (len(bson.encode(doc)), MAX_BSON_OBJECT_SIZE)})
            if cmd.get("ordered", True):
                break
            continue
        try:
            coll.insert_one(doc)
            n += 1
        except mongomock.DuplicateKeyError as e:
            write_errors.append({"index": index, "code": 11000, "errmsg": "E11000 duplicate key error: %s" % e})
            if cmd.get("ordered", True):
                break
    reply = {"n": n, "ok": 1.0}
    if write_errors:
        reply["writeErrors"] = write_errors
    return reply


# A blocking sort (one no index provides) holds every match in memory; mongod 5.0 refuses one past
# 100 MB unless allowDiskUse is set (QueryExceededMemoryLimitNoDiskUseAllowed, 292:
# https://www.mongodb.com/docs/v5.0/reference/method/cursor.allowDiskUse/). Here the limit is a
# number of matching documents, small enough for tests to cross.
BLOCKING_SORT_LIMIT = 2000


def sort_is_indexed(coll, filter_doc, sort):
    """Whether an index provides `sort`: its key pattern, after leading fields the filter pins by
    equality ($eq, or a small $in, which mongod explodes for sort), starts with the sort's pattern or
    its exact reverse (https://www.mongodb.com/docs/manual/tutorial/sort-results-with-indexes/)."""
    keys = [(k, int(v)) for k, v in sort.items()]
    if [k for k, _ in keys] == ["_id"]:
        return True
    pinned = {k for k, v in filter_doc.items()
              if not k.startswith("$") and (not isinstance(v, dict) or set(v) <= {"$eq", "$in"})}
    reverse = [(k, -d) for k, d in keys]
    for index in coll.index_information().values():
        pattern = [(k, int(d)) for k, d in index["key"]]
        for start in range(len(pattern) + 1):
            if start > 0 and pattern[start - 1][0] not in pinned:
                break
            candidate = pattern[start:start + len(keys)]
            if candidate == keys or candidate == reverse:
                return True
    return False


class StrictBool:
    """A boolean in a filter that equals only a boolean: mongod compares within a BSON type, so
    `true` and `1` are unequal (https://www.mongodb.com/docs/manual/reference/bson-type-comparison-order/),
    while Python (and so mongomock) says True == 1."""
    def __init__(self, value):
        self.value = value

    def __eq__(self, other):
        return type(other) is bool and other == self.value

    def __hash__(self):
        return hash(self.value)


class StrictNumber(StrictBool):
    """A number in a filter that equals numbers only, never a boolean."""
    def __eq__(self, other):
        return isinstance(other, (int, float)) and not isinstance(other, bool) and other == self.value


def strict(value):
    if isinstance(value, bool):
        return StrictBool(value)
    if isinstance(value, (int, float)):
        return StrictNumber(value)
    return value


def strict_filter(filter_doc):
    """The filter with every literal compared by equality ($eq, $ne, $in, $nin, or implicit)
    wrapped so that booleans and numbers never equal each other."""
    if not isinstance(filter_doc, dict):
        return filter_doc
    out = {}
    for key, value in filter_doc.items():
        if key in ("$and", "$or", "$nor"):
            out[key] = [strict_filter(v) for v in value]
        elif key in ("$eq", "$ne"):
            out[key] = strict(value)
        elif key in ("$in", "$nin") and isinstance(value, list):
            out[key] = [strict(v) for v in value]
        elif key in ("$not", "$elemMatch"):
            out[key] = strict_filter(value)
        elif isinstance(value, dict):
            out[key] = strict_filter(value) if all(k.startswith("$") for k in value) else value
        elif key.startswith("$"):
            out[key] = value
        else:
            out[key] = strict(value)
    return out


def run_find(cmd):
    coll = collection(cmd, "find")
    filter_doc = cmd.get("filter", {})
    if cmd.get("sort") and not cmd.get("allowDiskUse") and not sort_is_indexed(coll, filter_doc, cmd["sort"]):
        if coll.count_documents(filter_doc) > BLOCKING_SORT_LIMIT:
            raise CommandError("Executor error during find command :: caused by :: Sort exceeded memory limit of 104857600 bytes, "
                               "but did not opt in to external sorting.", 292, "QueryExceededMemoryLimitNoDiskUseAllowed")
    cursor = coll.find(strict_filter(filter_doc), cmd.get("projection"))
    if cmd.get("sort"):
        cursor = cursor.sort(list(cmd["sort"].items()))
    if cmd.get("skip"):
        cursor = cursor.skip(int(cmd["skip"]))
    limit = int(cmd.get("limit", 0) or 0)
    if limit:
        cursor = cursor.limit(abs(limit))
    return list(cursor), limit


def cmd_find(cmd):
    docs, limit = run_find(cmd)
    if cmd.get("singleBatch") or limit < 0:
        return {"cursor": {"firstBatch": docs, "id": Int64(0), "ns": namespace(cmd, "find")}, "ok": 1.0}
    return batch(namespace(cmd, "find"), docs, cmd.get("batchSize"), True)


def cmd_get_more(cmd):
    cursor_id = int(cmd["getMore"])
    if cursor_id not in cursors:
        return error("cursor id %d not found" % cursor_id, 43, "CursorNotFound")
    ns, docs = cursors.pop(cursor_id)
    reply = batch(ns, docs, cmd.get("batchSize"), False)
    if reply["cursor"]["id"]:  # keep the same id for the rest, as a server does
        cursors[cursor_id] = cursors.pop(int(reply["cursor"]["id"]))
        reply["cursor"]["id"] = Int64(cursor_id)
    return reply


def cmd_kill_cursors(cmd):
    killed = [c for c in cmd.get("cursors", []) if cursors.pop(int(c), None) is not None]
    return {"cursorsKilled": killed, "cursorsNotFound": [], "cursorsAlive": [], "cursorsUnknown": [], "ok": 1.0}


def is_replacement(update):
    return isinstance(update, dict) and not any(k.startswith("$") for k in update)


def apply_array_filters(coll, doc, update, array_filters):
    """Applies `$set` and `$unset` with `field.$[identifier]` or `field.$[identifier].sub.path`
    paths to `doc` as mongod does with arrayFilters
    (https://www.mongodb.com/docs/manual/reference/operator/update/positional-filtered/), which
    mongomock lacks; anything else with arrayFilters is refused, so gaps are loud."""
    filters = {}
    for f in array_filters:  # each filter document names one identifier, in one or more keys
        for key, condition in f.items():
            ident, _, rest = key.partition(".")
            filters.setdefault(ident, {})
            if rest:
                filters[ident][rest] = condition
            else:
                filters[ident] = condition
    if not set(update) <= {"$set", "$unset"}:
        raise CommandError("this test server supports arrayFilters only with $set and $unset", 2, "BadValue")
    new = dict(doc)
    for operator, fields in update.items():
        for path, value in fields.items():
            parts = path.split(".")
            if len(parts) < 2 or not (parts[1].startswith("$[") and parts[1].endswith("]")):
                raise CommandError("this test server supports arrayFilters paths of the form field.$[id](.sub)* only", 2, "BadValue")
            ident = parts[1][2:-1]
            if ident not in filters:
                raise CommandError("No array filter found for identifier '%s' in path '%s'" % (ident, path), 2, "BadValue")
            elements = []
            for element in new.get(parts[0], []):
                if mongomock.filtering.filter_applies(filters[ident], element):
                    element = set_path(element, parts[2:], value, unset=operator == "$unset")
                elements.append(element)
            new[parts[0]] = elements
    coll.replace_one({"_id": doc["_id"]}, new)


def set_path(element, path, value, unset):
    """`element` with `path` (a list of keys) set to `value`, or removed; [] is the element itself."""
    if not path:
        return value
    out = dict(element)
    if len(path) == 1:
        if unset:
            out.pop(path[0], None)
        else:
            out[path[0]] = value
        return out
    out[path[0]] = set_path(out.get(path[0], {}), path[1:], value, unset)
    return out


def cmd_update(cmd):
    coll = collection(cmd, "update")
    n = modified = 0
    upserted, write_errors = [], []
    for index, spec in enumerate(cmd.get("updates", [])):
        try:
            q, u, upsert = spec.get("q", {}), spec["u"], spec.get("upsert", False)
            if not upsert:  # an upsert builds its document from the filter's values
                q = strict_filter(q)
            before = None if spec.get("multi") else coll.find_one(q)
            if spec.get("arrayFilters") is not None:
                if spec.get("multi") or upsert:
                    raise CommandError("this test server supports arrayFilters on single updates only", 2, "BadValue")
                if before is not None:
                    apply_array_filters(coll, before, u, spec["arrayFilters"])
                n += 1 if before is not None else 0
                modified += 1 if before is not None else 0
                continue
            if is_replacement(u):
                result = coll.replace_one(q, u, upsert=upsert)
            elif spec.get("multi"):
                result = coll.update_many(q, u, upsert=upsert)
            else:
                result = coll.update_one(q, u, upsert=upsert)
            if before is not None and too_large(coll.find_one({"_id": before["_id"]})):
                coll.replace_one({"_id": before["_id"]}, before)
                raise CommandError("Resulting document after update is larger than %d" % MAX_BSON_OBJECT_SIZE, 17419, "BSONObjectTooLarge")
            n += result.matched_count
            modified += result.modified_count
            if result.upserted_id is not None:
                n += 1
                upserted.append({"index": index, "_id": result.upserted_id})
        except mongomock.DuplicateKeyError as e:
            write_errors.append({"index": index, "code": 11000, "errmsg": "E11000 duplicate key error: %s" % e})
        except CommandError as e:
            write_errors.append({"index": index, "code": e.reply["code"], "errmsg": e.reply["errmsg"]})
        except (mongomock.WriteError, mongomock.OperationFailure, ValueError) as e:
            write_errors.append({"index": index, "code": getattr(e, "code", None) or 9, "errmsg": str(e)})
        if write_errors and cmd.get("ordered", True):
            break
    reply = {"n": n, "nModified": modified, "ok": 1.0}
    if upserted:
        reply["upserted"] = upserted
    if write_errors:
        reply["writeErrors"] = write_errors
    return reply


def cmd_delete(cmd):
    coll = collection(cmd, "delete")
    n = 0
    for spec in cmd.get("deletes", []):
        q = strict_filter(spec.get("q", {}))
        result = coll.delete_one(q) if spec.get("limit", 0) == 1 else coll.delete_many(q)
        n += result.deleted_count
    return {"n": n, "ok": 1.0}


def cmd_find_and_modify(cmd):
    # Done by _id in two steps under the lock (atomic here), not with mongomock's find_one_and_*,
    # which returns None for a replacement with a projection.
    coll = collection(cmd, "findAndModify")
    query, fields = cmd.get("query", {}), cmd.get("fields")
    sort = list(cmd["sort"].items()) if cmd.get("sort") else None
    update, new, upsert = cmd.get("update"), bool(cmd.get("new", False)), bool(cmd.get("upsert", False))
    try:
        doc = coll.find_one(strict_filter(query), sort=sort)
        if doc is None:
            if not upsert or cmd.get("remove"):
                return {"lastErrorObject": {"n": 0, "updatedExisting": False}, "value": None, "ok": 1.0}
            if is_replacement(update):
                inserted = coll.insert_one(dict(update)).inserted_id
            else:
                inserted = coll.update_one(query, update, upsert=True).upserted_id
            value = coll.find_one({"_id": inserted}, fields) if new else None
            return {"lastErrorObject": {"n": 1, "updatedExisting": False, "upserted": inserted}, "value": value, "ok": 1.0}
        key = {"_id": doc["_id"]}
        before = coll.find_one(key, fields)
        if cmd.get("remove"):
            coll.delete_one(key)
            return {"lastErrorObject": {"n": 1}, "value": before, "ok": 1.0}
        if cmd.get("arrayFilters") is not None:
            apply_array_filters(coll, doc, update, cmd["arrayFilters"])
        elif is_replacement(update):
            coll.replace_one(key, update)
        else:
            coll.update_one(key, update)
        if too_large(coll.find_one(key)):
            coll.replace_one(key, doc)
            return error("Resulting document after update is larger than %d" % MAX_BSON_OBJECT_SIZE, 17419, "BSONObjectTooLarge")
        value = coll.find_one(key, fields) if new else before
    except mongomock.DuplicateKeyError as e:
        return error("E11000 duplicate key error: %s" % e, 11000, "DuplicateKey")
    return {"lastErrorObject": {"n": 1, "updatedExisting": True}, "value": value, "ok": 1.0}


def cmd_aggregate(cmd):
    coll = collection(cmd, "aggregate")
    pipeline = [{"$match": strict_filter(stage["$match"])} if "$match" in stage else stage for stage in cmd.get("pipeline", [])]
    docs = list(coll.aggregate(pipeline))
    return batch(namespace(cmd, "aggregate"), docs, (cmd.get("cursor") or {}).get("batchSize"), True)


def cmd_count(cmd):
    # estimatedDocumentCount sends {count: <collection>} with no query, which mongod answers from
    # the collection's metadata (https://www.mongodb.com/docs/manual/reference/command/count/).
    coll = collection(cmd, "count")
    n = coll.count_documents(strict_filter(cmd.get("query") or {}))
    skip, limit = int(cmd.get("skip", 0) or 0), int(cmd.get("limit", 0) or 0)
    n = max(0, n - skip)
    return {"n": min(n, limit) if limit else n, "ok": 1.0}


def cmd_create_indexes(cmd):
    coll = collection(cmd, "createIndexes")
    exists = cmd["createIndexes"] in coll.database.list_collection_names()
    before = len(coll.index_information()) if exists else 0
    current = coll.index_information() if exists else {}
    for index in cmd.get("indexes", []):
        # mongod refuses an index whose keys exist under another name (IndexOptionsConflict, 85) or
        # a name that exists with other keys or options (IndexKeySpecsConflict, 86):
        # https://www.mongodb.com/docs/manual/reference/command/createIndexes/#considerations
        key, name, unique = [(k, int(d)) for k, d in index["key"].items()], index.get("name"), bool(index.get("unique", False))
        for other_name, info in current.items():
            other_key, other_unique = [(k, int(d)) for k, d in info["key"]], bool(info.get("unique", False))
            if other_name == name and (other_key != key or other_unique != unique):
                raise CommandError("An existing index has the same name as the requested index. Requested index: %s, existing index: %s"
                                   % (index, info), 86, "IndexKeySpecsConflict")
            if other_name != name and other_key == key:
                raise CommandError("Index already exists with a different name: %s" % other_name, 85, "IndexOptionsConflict")
    try:
        for index in cmd.get("indexes", []):
            coll.create_index(list(index["key"].items()), unique=bool(index.get("unique", False)), name=index.get("name"))
    except mongomock.DuplicateKeyError as e:
        return error("E11000 duplicate key error: %s" % e, 11000, "DuplicateKey")
    return {"createdCollectionAutomatically": before == 0, "numIndexesBefore": max(before, 1),
            "numIndexesAfter": len(coll.index_information()), "ok": 1.0}


def cmd_drop(cmd):
    db = client[cmd.get("$db", "test")]
    if cmd["drop"] not in db.list_collection_names():
        return error("ns not found", 26, "NamespaceNotFound")
    db.drop_collection(cmd["drop"])
    return {"ns": namespace(cmd, "drop"), "nIndexesWas": 1, "ok": 1.0}


COMMANDS = {
    "ping": lambda cmd: {"ok": 1.0},
    "buildInfo": lambda cmd: {"version": "5.0.0", "versionArray": [5, 0, 0, 0], "maxBsonObjectSize": 16 * 1024 * 1024, "ok": 1.0},
    "buildinfo": lambda cmd: {"version": "5.0.0", "versionArray": [5, 0, 0, 0], "maxBsonObjectSize": 16 * 1024 * 1024, "ok": 1.0},
    "endSessions": lambda cmd: {"ok": 1.0},
    "insert": cmd_insert, "find": cmd_find, "getMore": cmd_get_more, "killCursors": cmd_kill_cursors,
    "update": cmd_update, "delete": cmd_delete, "findAndModify": cmd_find_and_modify, "findandmodify": cmd_find_and_modify,
    "aggregate": cmd_aggregate, "createIndexes": cmd_create_indexes, "drop": cmd_drop, "count": cmd_count,
}


def record(name, cmd):
    """--command-log: one JSON line per command received, so tests can assert what was sent."""
    if command_log is None:
        return
    entry = {"command": name, "collection": cmd.get(name) if isinstance(cmd.get(name), str) else None}
    for key in ("filter", "query", "sort", "skip", "limit", "pipeline", "allowDiskUse", "maxTimeMS", "indexes", "writeConcern",
                "$readPreference", "txnNumber", "collation"):
        if key in cmd:
            entry[key] = cmd[key]
    with command_log_lock:
        command_log.write(json.dumps(entry, default=str) + "\n")
        command_log.flush()


# mongod's failCommand fail point, as its wiki page describes it
# (https://github.com/mongodb/mongo/wiki/The-failCommand-fail-point): for the commands named in
# data.failCommands, `errorCode` answers that error (with `errorLabels`) without running the
# command; `writeConcernError` runs it and adds that document to the reply; `closeConnection`
# drops the connection without a reply; `blockConnection` waits `blockTimeMS` first. `mode` is
# "alwaysOn", "off" or {times: n}. The handshake and configureFailPoint itself never trigger it.
fail_point = {"times": 0, "data": {}}


class CloseConnection(Exception):
    """The fail point's closeConnection: the handler drops the socket without a reply."""


def cmd_configure_fail_point(cmd):
    if cmd["configureFailPoint"] != "failCommand":
        raise CommandError("unknown fail point %s" % cmd["configureFailPoint"], 2, "BadValue")
    # Modes as mongod has them: "alwaysOn", "off", {times: n}, and {skip: n}, which lets the first
    # n matching commands through and fails every later one
    # (https://www.mongodb.com/docs/manual/reference/command/configureFailPoint/).
    mode = cmd.get("mode")
    skip = int(mode["skip"]) if isinstance(mode, dict) and "skip" in mode else 0
    times = -1 if mode == "alwaysOn" or skip else 0 if mode == "off" else int(mode["times"])
    fail_point.update(times=times, skip=skip, data=cmd.get("data", {}))
    return {"count": 0, "ok": 1.0}


def triggered_fail_point(name):
    """The fail point's data if it fires for this command (counting a {times: n} down), else None."""
    with lock:
        if fail_point["times"] == 0 or name not in fail_point["data"].get("failCommands", []):
            return None
        if fail_point.get("skip", 0) > 0:
            fail_point["skip"] -= 1
            return None
        if fail_point["times"] > 0:
            fail_point["times"] -= 1
        return fail_point["data"]


def run_command(cmd, conn_id):
    name = next(iter(cmd), None)
    if name in HANDSHAKE:
        return cmd_hello(cmd, conn_id)
    record(name, cmd)
    if name == "saslStart":
        reply = cmd_sasl_start(cmd, conn_id)
        if reply.get("ok") and (cmd.get("options") or {}).get("skipEmptyExchange"):
            conversations[(conn_id, reply["conversationId"])]["skip_empty"] = True
        return reply
    if name == "saslContinue":
        return cmd_sasl_continue(cmd, conn_id)
    if users and conn_id not in authenticated and name not in ("ping", "buildInfo", "buildinfo", "endSessions"):
        return error("command %s requires authentication" % name, 13, "Unauthorized")
    if name == "configureFailPoint":
        try:
            return cmd_configure_fail_point(cmd)
        except CommandError as e:
            return e.reply
    handler = COMMANDS.get(name)
    if handler is None:
        return error("no such command: '%s'" % name, 59, "CommandNotFound")
    fault = triggered_fail_point(name)
    if fault is not None:
        if fault.get("blockConnection"):
            threading.Event().wait(float(fault.get("blockTimeMS", 0)) / 1000)
        if fault.get("closeConnection"):
            raise CloseConnection()
        if "errorCode" in fault:
            reply = error("Failing command via 'failCommand' failpoint", int(fault["errorCode"]), "FailPoint")
            if fault.get("errorLabels"):
                reply["errorLabels"] = list(fault["errorLabels"])
            return reply
        if "writeConcernError" in fault:
            reply = execute(name, handler, cmd)
            if reply.get("ok"):
                reply["writeConcernError"] = dict(fault["writeConcernError"])
                if fault.get("errorLabels"):
                    reply["errorLabels"] = list(fault["errorLabels"])
            return reply
    return execute(name, handler, cmd)


# Retryable writes: mongod remembers each (session, txnNumber) it has executed and answers a
# retry of one with the first result instead of running it again
# (https://www.mongodb.com/docs/manual/core/retryable-writes/).
executed_writes = {}


def execute(name, handler, cmd):
    txn = None
    if name in WRITE_COMMANDS and "txnNumber" in cmd and isinstance(cmd.get("lsid"), dict):
        txn = (bytes(cmd["lsid"]["id"]), int(cmd["txnNumber"]))
        with lock:
            if txn in executed_writes:
                return dict(executed_writes[txn])
    reply = run_handler(name, handler, cmd)
    if txn is not None and reply.get("ok") and not reply.get("writeErrors"):
        with lock:
            executed_writes[txn] = dict(reply)
    return reply


def run_handler(name, handler, cmd):
    if delay_seconds:
        limit_ms = cmd.get("maxTimeMS")
        if limit_ms and delay_seconds * 1000 > float(limit_ms):
            # mongod stops an operation at maxTimeMS with MaxTimeMSExpired (50):
            # https://www.mongodb.com/docs/manual/reference/method/cursor.maxTimeMS/
            threading.Event().wait(float(limit_ms) / 1000)
            return error("operation exceeded time limit", 50, "MaxTimeMSExpired")
        threading.Event().wait(delay_seconds)  # a slow server, for deadline tests
    with lock:
        try:
            reply = handler(cmd)
        except CommandError as e:
            return e.reply
        except Exception as e:  # any failure is an error reply, never a dropped connection
            return error("%s: %s" % (type(e).__name__, e))
        if data_file and name in WRITE_COMMANDS:
            save()
        return reply


def save():
    """Writes every collection, its documents and its indexes; durable before the reply is sent."""
    temporary = data_file + ".tmp"
    with open(temporary, "wb") as f:
        for db_name in client.list_database_names():
            db = client[db_name]
            for name in db.list_collection_names():
                indexes = [{"name": index, "key": [[k, d] for k, d in info["key"]], "unique": bool(info.get("unique"))}
                           for index, info in db[name].index_information().items() if index != "_id_"]
                f.write(bson.encode({"db": db_name, "coll": name, "docs": list(db[name].find({})), "indexes": indexes}, codec_options=CODEC))
        f.flush()
        os.fsync(f.fileno())
    os.replace(temporary, data_file)


def load():
    if not os.path.exists(data_file):
        return
    with open(data_file, "rb") as f:
        for entry in bson.decode_all(f.read(), codec_options=CODEC):
            target = client[entry["db"]][entry["coll"]]
            for index in entry["indexes"]:
                target.create_index([(k, d) for k, d in index["key"]], name=index["name"], unique=index["unique"])
            if entry["docs"]:
                target.insert_many(entry["docs"])


def read_exactly(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


def parse_op_msg(body):
    flags = struct.unpack_from("<I", body, 0)[0]
    end = len(body) - (4 if flags & CHECKSUM_PRESENT else 0)
    offset, command, sequences = 4, None, {}
    while offset < end:
        kind = body[offset]
        offset += 1
        size = struct.unpack_from("<i", body, offset)[0]
        if kind == 0:
            command = bson.decode(body[offset:offset + size], codec_options=CODEC)
            offset += size
        elif kind == 1:
            section_end = offset + size
            name_end = body.index(b"\x00", offset + 4)
            identifier = body[offset + 4:name_end].decode()
            position, docs = name_end + 1, []
            while position < section_end:
                doc_size = struct.unpack_from("<i", body, position)[0]
                docs.append(bson.decode(body[position:position + doc_size], codec_options=CODEC))
                position += doc_size
            sequences[identifier] = docs
            offset = section_end
        else:
            raise ValueError("unknown OP_MSG section kind %d" % kind)
    command.update(sequences)
    return flags, command


def parse_op_query(body):
    name_end = body.index(b"\x00", 4)
    database = body[4:name_end].decode().split(".")[0]
    offset = name_end + 1 + 8  # numberToSkip, numberToReturn
    size = struct.unpack_from("<i", body, offset)[0]
    query = bson.decode(body[offset:offset + size], codec_options=CODEC)
    if "$query" in query:
        query = query["$query"]
    query.setdefault("$db", database)
    return query


def message(op_code, response_to, payload):
    return struct.pack("<iiii", 16 + len(payload), next(request_ids), response_to, op_code) + payload


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        conn_id = next(connection_ids)
        sock = self.request
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            while True:
                length, request_id, _, op_code = struct.unpack("<iiii", read_exactly(sock, 16))
                body = read_exactly(sock, length - 16)
                if op_code == OP_MSG:
                    flags, command = parse_op_msg(body)
                    try:
                        reply = run_command(command, conn_id)
                    except CloseConnection:
                        return
                    if not flags & MORE_TO_COME:
                        sock.sendall(message(OP_MSG, request_id, struct.pack("<I", 0) + b"\x00" + bson.encode(reply)))
                elif op_code == OP_QUERY:
                    try:
                        reply = run_command(parse_op_query(body), conn_id)
                    except CloseConnection:
                        return
                    sock.sendall(message(OP_REPLY, request_id, struct.pack("<iqii", 0, 0, 0, 1) + bson.encode(reply)))
                else:
                    return  # compression and removed opcodes are not offered; close like a server would
        except (ConnectionError, OSError):
            return


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    global delay_seconds, data_file
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--delay-ms", type=int, default=0, help="delay every command but the handshake")
    parser.add_argument("--data-file", help="keep the data in this file (durable before each write is acknowledged)")
    parser.add_argument("--command-log", help="append every command received to this file, one JSON object per line")
    parser.add_argument("--replica-set", help="answer hello as the primary of a one-member replica set of this name")
    parser.add_argument("--user", action="append", default=[], help="NAME:PASSWORD; require SCRAM-SHA-256 authentication")
    args = parser.parse_args()
    global replica_set, me
    replica_set = args.replica_set
    for entry in args.user:
        name, _, password = entry.partition(":")
        users[name] = password
    global command_log
    if args.command_log:
        command_log = open(args.command_log, "a")
    delay_seconds = args.delay_ms / 1000.0
    data_file = args.data_file
    if data_file:
        load()
    server = Server(("127.0.0.1", args.port), Handler)
    me = "127.0.0.1:%d" % server.server_address[1]
    print("listening on %d" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
