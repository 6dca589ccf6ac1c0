"""Checks the wire-protocol test server itself with pymongo, a second, independent driver:
document sequences, moreToCome, the OP_QUERY handshake, cursors and loud unknown commands."""
import os
import socket
import struct
import subprocess
import sys
import unittest

import bson
import pymongo
from pymongo.write_concern import WriteConcern

HERE = os.path.dirname(os.path.abspath(__file__))


class MongoTestServerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = subprocess.Popen([sys.executable, os.path.join(HERE, "mongo_test_server.py"), "--port", "0"],
                                      stdout=subprocess.PIPE, text=True)
        cls.port = int(cls.server.stdout.readline().split()[-1])
        cls.client = pymongo.MongoClient("mongodb://127.0.0.1:%d" % cls.port, serverSelectionTimeoutMS=3000)
        cls.db = cls.client.servertest

    @classmethod
    def tearDownClass(cls):
        cls.client.close()
        cls.server.kill()
        cls.server.wait()

    def test_document_sequences_and_cursors(self):
        coll = self.db.seq
        coll.drop()
        coll.insert_many([{"n": i} for i in range(250)])  # OP_MSG kind-1 "documents" sequence
        self.assertEqual(coll.count_documents({}), 250)     # aggregate
        self.assertEqual([d["n"] for d in coll.find({}, batch_size=40).sort("n", 1)], list(range(250)))  # getMore
        cursor = coll.find({}, batch_size=10)
        next(cursor)
        cursor.close()                                      # killCursors

    def test_a_blocking_sort_past_the_memory_limit_needs_allow_disk_use(self):
        # As mongod 5.0 (code 292); an index that provides the sort, or allowDiskUse, lets it run.
        coll = self.db.bigsort
        coll.drop()
        coll.insert_many([{"id": str(i), "a": i % 7, "b": i} for i in range(2100)])
        with self.assertRaises(pymongo.errors.OperationFailure) as refused:
            list(coll.find({}).sort([("a", 1), ("id", 1)]))
        self.assertEqual(refused.exception.code, 292)
        self.assertEqual(len(list(coll.find({}).sort([("a", 1), ("id", 1)]).allow_disk_use(True))), 2100)
        self.assertEqual(len(list(coll.find({"a": 3}).sort([("b", -1)]))), 300, "few matches sort in memory")
        coll.create_index([("a", 1), ("id", 1)])
        self.assertEqual(len(list(coll.find({}).sort([("a", -1), ("id", -1)]))), 2100, "the index, walked backwards")
        coll.create_index([("a", 1), ("b", 1)])
        self.assertEqual(len(list(coll.find({"a": {"$in": [1, 2]}}).sort([("b", 1)]))), 600, "equality, then sort")
        with self.assertRaises(pymongo.errors.OperationFailure):
            list(coll.find({"b": {"$gt": 0}}).sort([("b", 1), ("a", 1)]))

    def test_more_to_come_writes_get_no_reply(self):
        coll = self.db.get_collection("unacked", write_concern=WriteConcern(w=0))
        coll.drop()
        for i in range(20):
            coll.insert_one({"n": i})                       # w=0: OP_MSG with moreToCome
        self.assertEqual(self.db.unacked.count_documents({}), 20)

    def test_update_delete_find_and_modify_and_unique_index(self):
        coll = self.db.crud
        coll.drop()
        coll.create_index("id", unique=True)
        coll.insert_one({"id": "a", "v": 1})
        with self.assertRaises(pymongo.errors.DuplicateKeyError):
            coll.insert_one({"id": "a"})
        self.assertEqual(coll.update_one({"id": "a"}, {"$set": {"v": 2}}).modified_count, 1)
        doc = coll.find_one_and_update({"id": "a"}, {"$inc": {"v": 1}}, projection={"_id": 0},
                                       return_document=pymongo.ReturnDocument.AFTER)
        self.assertEqual(doc, {"id": "a", "v": 3})
        self.assertEqual(coll.delete_one({"id": "a"}).deleted_count, 1)

    def fail_point(self, mode, **data):
        self.client.admin.command({"configureFailPoint": "failCommand", "mode": mode, "data": data})
        self.addCleanup(lambda: self.client.admin.command({"configureFailPoint": "failCommand", "mode": "off"}))

    def test_fail_point_error_code_and_labels_skip_the_command(self):
        coll = self.db.faults
        coll.drop()
        self.fail_point({"times": 1}, failCommands=["insert"], errorCode=10107, errorLabels=["RetryableWriteError"])
        with self.assertRaises(pymongo.errors.NotPrimaryError) as failed:  # pymongo names 10107 so
            coll.insert_one({"n": 1})
        self.assertEqual(failed.exception.details["code"], 10107)
        self.assertTrue(failed.exception.has_error_label("RetryableWriteError"))
        self.assertEqual(coll.count_documents({}), 0, "an errorCode does not run the command")
        coll.insert_one({"n": 2})  # {times: 1}: the next one goes through
        self.assertEqual(coll.count_documents({}), 1)

    def test_fail_point_write_concern_error_runs_the_write(self):
        coll = self.db.wce
        coll.drop()
        self.fail_point({"times": 1}, failCommands=["insert"],
                        writeConcernError={"code": 64, "codeName": "WriteConcernFailed", "errmsg": "waiting for replication timed out"})
        with self.assertRaises(pymongo.errors.WriteConcernError) as failed:
            coll.insert_one({"n": 1})
        self.assertEqual(failed.exception.code, 64)
        self.assertEqual(coll.count_documents({}), 1, "the write was applied; only its write concern failed")

    def test_fail_point_closes_the_connection_and_blocks(self):
        no_retry = pymongo.MongoClient("mongodb://127.0.0.1:%d" % self.port, serverSelectionTimeoutMS=3000, retryReads=False)
        self.addCleanup(no_retry.close)
        coll = no_retry.servertest.closing
        self.fail_point({"times": 1}, failCommands=["find"], closeConnection=True)
        with self.assertRaises(pymongo.errors.AutoReconnect):  # a network error: the socket closed
            list(coll.find({}))
        self.assertEqual(list(coll.find({})), [])
        import time
        self.fail_point({"times": 1}, failCommands=["find"], blockConnection=True, blockTimeMS=300)
        started = time.monotonic()
        list(coll.find({}))
        self.assertGreaterEqual(time.monotonic() - started, 0.3)

    def test_index_conflicts_and_duplicates_refuse_create_indexes(self):
        coll = self.db.indexes
        coll.drop()
        coll.create_index([("a", 1)], name="a_1")
        coll.create_index([("a", 1)], name="a_1")  # the same spec again: a no-op
        with self.assertRaises(pymongo.errors.OperationFailure) as renamed:
            coll.create_index([("a", 1)], name="other")
        self.assertEqual(renamed.exception.code, 85)
        with self.assertRaises(pymongo.errors.OperationFailure) as respecified:
            coll.create_index([("b", 1)], name="a_1")
        self.assertEqual(respecified.exception.code, 86)
        coll.insert_many([{"k": 1}, {"k": 1}])
        with self.assertRaises(pymongo.errors.OperationFailure) as duplicates:
            coll.create_index([("k", 1)], unique=True)
        self.assertEqual(duplicates.exception.code, 11000)

    def test_true_and_one_are_unequal_as_in_mongod(self):
        coll = self.db.bools
        coll.drop()
        coll.insert_many([{"k": i, "r": r} for i, r in enumerate([True, 1, False, 0, 1.0])])
        self.assertEqual(sorted(d["k"] for d in coll.find({"r": 1})), [1, 4])
        self.assertEqual(sorted(d["k"] for d in coll.find({"r": True})), [0])
        self.assertEqual(sorted(d["k"] for d in coll.find({"r": {"$in": [True, 1]}})), [0, 1, 4])
        self.assertEqual(sorted(d["k"] for d in coll.find({"r": {"$ne": False}})), [0, 1, 3, 4])
        self.assertEqual(coll.count_documents({"r": 0}), 1)
        self.assertEqual(coll.update_many({"r": 1}, {"$set": {"r": True}}).matched_count, 2)
        self.assertEqual(coll.count_documents({"r": True}), 3)
        self.assertEqual(coll.delete_many({"$or": [{"r": False}, {"r": 0}]}).deleted_count, 2)

    def test_the_16_mib_document_limit(self):
        coll = self.db.big
        coll.drop()
        with self.assertRaises(pymongo.errors.WriteError) as inserted:
            coll.insert_one({"blob": "x" * (16 * 1024 * 1024)})
        self.assertEqual(inserted.exception.code, 10334)
        coll.insert_one({"k": 1, "items": ["x" * (4 * 1024 * 1024)] * 3})
        with self.assertRaises(pymongo.errors.WriteError) as pushed:
            coll.update_one({"k": 1}, {"$push": {"items": "y" * (5 * 1024 * 1024)}})
        self.assertEqual(pushed.exception.code, 17419)
        with self.assertRaises(pymongo.errors.OperationFailure) as modified:
            coll.find_one_and_update({"k": 1}, {"$push": {"items": "y" * (5 * 1024 * 1024)}})
        self.assertEqual(modified.exception.code, 17419)
        self.assertEqual(len(coll.find_one({"k": 1})["items"]), 3, "the document is left as it was")
        self.assertEqual(coll.count_documents({}), 1)

    def test_unknown_commands_are_loud(self):
        with self.assertRaises(pymongo.errors.OperationFailure) as caught:
            self.db.command("frobnicate")
        self.assertEqual(caught.exception.code, 59)

    def test_legacy_op_query_handshake(self):
        query = bson.encode({"isMaster": 1})
        body = struct.pack("<i", 0) + b"admin.$cmd\x00" + struct.pack("<ii", 0, -1) + query
        with socket.create_connection(("127.0.0.1", self.port)) as s:
            s.sendall(struct.pack("<iiii", 16 + len(body), 7, 0, 2004) + body)
            header = s.recv(16, socket.MSG_WAITALL)
            length, _, response_to, op_code = struct.unpack("<iiii", header)
            payload = s.recv(length - 16, socket.MSG_WAITALL)
        self.assertEqual((response_to, op_code), (7, 1))     # OP_REPLY to our request
        reply = bson.decode(payload[20:])
        self.assertTrue(reply["ismaster"])
        self.assertGreaterEqual(reply["maxWireVersion"], 13)


class DataFileTest(unittest.TestCase):
    def test_acknowledged_writes_and_unique_indexes_survive_sigkill(self):
        import tempfile
        path = os.path.join(tempfile.mkdtemp(prefix="mongo-test-data-"), "data.bson")
        for round_ in range(2):
            server = subprocess.Popen([sys.executable, os.path.join(HERE, "mongo_test_server.py"), "--port", "0", "--data-file", path],
                                      stdout=subprocess.PIPE, text=True)
            port = int(server.stdout.readline().split()[-1])
            client = pymongo.MongoClient("mongodb://127.0.0.1:%d" % port, serverSelectionTimeoutMS=3000)
            coll = client.durable.items
            try:
                if round_ == 0:
                    coll.create_index("k", unique=True)
                    coll.insert_many([{"k": i} for i in range(5)])
                    coll.delete_one({"k": 0})
                else:
                    self.assertEqual(sorted(d["k"] for d in coll.find({})), [1, 2, 3, 4])
                    with self.assertRaises(pymongo.errors.DuplicateKeyError):
                        coll.insert_one({"k": 1})  # the unique index came back too
            finally:
                client.close()
                server.kill()  # SIGKILL: only what was on disk before each reply survives
                server.wait()
                server.stdout.close()


if __name__ == "__main__":
    unittest.main()


class ScramTest(unittest.TestCase):
    def test_scram_sha_256_logs_in_and_a_wrong_password_fails_with_18(self):
        server = subprocess.Popen([sys.executable, os.path.join(HERE, "mongo_test_server.py"), "--port", "0", "--user", "books:pa55,=word"],
                                  stdout=subprocess.PIPE, text=True)
        try:
            port = int(server.stdout.readline().split()[-1])
            good = pymongo.MongoClient("mongodb://127.0.0.1:%d" % port, username="books", password="pa55,=word",
                                       authMechanism="SCRAM-SHA-256", serverSelectionTimeoutMS=3000)
            good.servertest.items.insert_one({"k": 1})
            self.assertEqual(good.servertest.items.count_documents({}), 1)
            good.close()
            bad = pymongo.MongoClient("mongodb://127.0.0.1:%d" % port, username="books", password="wrong",
                                      authMechanism="SCRAM-SHA-256", serverSelectionTimeoutMS=3000)
            with self.assertRaises(pymongo.errors.OperationFailure) as failed:
                bad.servertest.items.find_one({})
            self.assertEqual(failed.exception.code, 18)
            bad.close()
            anonymous = pymongo.MongoClient("mongodb://127.0.0.1:%d" % port, serverSelectionTimeoutMS=3000)
            with self.assertRaises(pymongo.errors.OperationFailure) as refused:
                anonymous.servertest.items.find_one({})
            self.assertEqual(refused.exception.code, 13)
            anonymous.close()
        finally:
            server.kill()
            server.wait()
            server.stdout.close()


class MaxTimeMSTest(unittest.TestCase):
    def test_a_command_past_max_time_ms_fails_with_code_50(self):
        server = subprocess.Popen([sys.executable, os.path.join(HERE, "mongo_test_server.py"), "--port", "0", "--delay-ms", "300"],
                                  stdout=subprocess.PIPE, text=True)
        try:
            port = int(server.stdout.readline().split()[-1])
            client = pymongo.MongoClient("mongodb://127.0.0.1:%d" % port, serverSelectionTimeoutMS=3000)
            coll = client.servertest.slow
            with self.assertRaises(pymongo.errors.ExecutionTimeout) as expired:
                list(coll.find({}).max_time_ms(100))
            self.assertEqual(expired.exception.code, 50)
            self.assertEqual(list(coll.find({}).max_time_ms(1000)), [])
            client.close()
        finally:
            server.kill()
            server.wait()
