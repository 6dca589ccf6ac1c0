// The original books app's 42 sample books (ids "1".."42"): one source of truth.
//   MongoDB:        mongosh mongodb://HOST:27017 rawdata/book-data-to-insert.js
//   Embedded store: loaded on first start, or by `BooksAPI seed [--replace]`.
// BooksAPI reads the array passed to insertMany below, so keep that array strict JSON.
db = db.getSiblingDB('bookdata');
db.books.drop();
db.books.insertMany([
  {"id": "1", "title": "The Last Man", "author": "Mary Shelley", "year": 1826, "score": 8, "read": 1},
  {"id": "2", "title": "When Worlds Collide", "author": "Philip Wylie & Edwin Balmer", "year": 1933, "score": 7, "read": 1},
  {"id": "3", "title": "Earth Abides", "author": "George R. Stewart", "year": 1949, "score": 10, "read": 1},
  {"id": "4", "title": "The Day of the Triffids", "author": "John Wyndham", "year": 1951, "score": 10, "read": 1},
  {"id": "5", "title": "The Kraken Wakes", "author": "John Wyndham", "year": 1953, "score": 8, "read": 1},
  {"id": "6", "title": "The Chrysalids", "author": "John Wyndham", "year": 1955, "score": 8, "read": 1},
  {"id": "7", "title": "I Am Legend", "author": "Richard Matheson", "year": 1954, "score": 8, "read": 1},
  {"id": "8", "title": "The Long Tomorrow", "author": "Leigh Brackett", "year": 1955, "score": 7, "read": 1},
  {"id": "9", "title": "The Death of Grass", "author": "John Christopher", "year": 1956, "score": 9, "read": 1},
  {"id": "10", "title": "The World in Winter", "author": "John Christopher", "year": 1962, "score": 7, "read": 1},
  {"id": "11", "title": "A Wrinkle in the Skin", "author": "John Christopher", "year": 1965, "score": 9, "read": 1},
  {"id": "12", "title": "Tripods Trilogy", "author": "John Christopher", "year": 1967, "score": 9, "read": 1},
  {"id": "13", "title": "On the Beach", "author": "Nevil Shute", "year": 1957, "score": 9, "read": 1},
  {"id": "14", "title": "The Black Cloud", "author": "Fred Hoyle", "year": 1957, "score": 9, "read": 1},
  {"id": "15", "title": "Level 7", "author": "Mordecai Roshwald", "year": 1959, "score": 9, "read": 1},
  {"id": "16", "title": "Alas, Babylon", "author": "Pat Frank", "year": 1959, "score": 8, "read": 1},
  {"id": "17", "title": "A Canticle for Leibowitz", "author": "Walter M. Miller, Jr.", "year": 1959, "score": 2, "read": 1},
  {"id": "18", "title": "Hothouse", "author": "Brian Aldiss", "year": 1961, "score": 4, "read": 1},
  {"id": "19", "title": "Some Will Not Die", "author": "Algis Budrys", "year": 1961, "score": 8, "read": 1},
  {"id": "20", "title": "The Drowned World", "author": "J. G. Ballard", "year": 1962, "score": 4, "read": 1},
  {"id": "21", "title": "Cat's Cradle", "author": "Kurt Vonnegut", "year": 1963, "score": -1, "read": 0},
  {"id": "22", "title": "The Sheep Look Up", "author": "John Brunner", "year": 1972, "score": 8, "read": 1},
  {"id": "23", "title": "Lucifer's Hammer", "author": "Larry Niven and Jerry Pournelle", "year": 1977, "score": 7, "read": 1},
  {"id": "24", "title": "The Stand", "author": "Stephen King", "year": 1978, "score": 7, "read": 1},
  {"id": "25", "title": "Engine Summer", "author": "John Crowley ", "year": 1979, "score": -1, "read": 0},
  {"id": "26", "title": "Down to a Sunless Sea", "author": "David Graham", "year": 1979, "score": 7, "read": 1},
  {"id": "27", "title": "Riddley Walker", "author": "Russell Hoban", "year": 1980, "score": -1, "read": 0},
  {"id": "28", "title": "Emergence", "author": "David R. Palmer", "year": 1984, "score": 9, "read": 1},
  {"id": "29", "title": "The Postman", "author": "David Brin", "year": 1985, "score": 9, "read": 1},
  {"id": "30", "title": "This Is the Way the World Ends", "author": "James K. Morrow", "year": 1985, "score": -1, "read": 0},
  {"id": "31", "title": "Swan Song", "author": "Robert R. McCammon", "year": 1987, "score": 9, "read": 1},
  {"id": "32", "title": "The Children of Men", "author": "P. D. James", "year": 1992, "score": 7, "read": 1},
  {"id": "33", "title": "The Ice People", "author": "Maggie Gee", "year": 1998, "score": 8, "read": 1},
  {"id": "34", "title": "Dies the Fire", "author": "S. M. Stirling", "year": 2004, "score": 9, "read": 1},
  {"id": "35", "title": "The Road", "author": "Cormac McCarthy", "year": 2006, "score": 9, "read": 1},
  {"id": "36", "title": "The Year of the Flood", "author": "Margaret Atwood", "year": 2009, "score": 7, "read": 1},
  {"id": "37", "title": "One Second After", "author": "William R. Forstchen", "year": 2009, "score": 10, "read": 1},
  {"id": "38", "title": "Far North", "author": "Marcel Theroux", "year": 2009, "score": 9, "read": 1},
  {"id": "39", "title": "Wool", "author": "Hugh Howey", "year": 2011, "score": 9, "read": 1},
  {"id": "40", "title": "Shift", "author": "Hugh Howey", "year": 2013, "score": -1, "read": 0},
  {"id": "41", "title": "Dust", "author": "Hugh Howey", "year": 2014, "score": -1, "read": 0},
  {"id": "42", "title": "Station Eleven", "author": "Emily St. John Mandel", "year": 2014, "score": 9, "read": 1}
]);
db.books.createIndex({id: 1}, {unique: true});
db.books.createIndex({author: 1});
