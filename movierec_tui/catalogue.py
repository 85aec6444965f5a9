"""The MovieLens vocabulary every layer shares: age buckets, occupations, genres, genders, and what
counts as "liked".

It lives apart from `data_loader` (which reads datasets with pandas) so that the UI, the chat parser
and the profile can name a genre or an age bucket without importing the loader; `data_loader.dataset`
re-exports these names for the code that reads them from there.
"""

from __future__ import annotations

AGE_BUCKETS: dict[int, str] = {
    1: "Under 18",
    18: "18-24",
    25: "25-34",
    35: "35-44",
    45: "45-49",
    50: "50-55",
    56: "56+",
}

OCCUPATIONS: dict[int, str] = {
    0: "other",
    1: "academic/educator",
    2: "artist",
    3: "clerical/admin",
    4: "college/grad student",
    5: "customer service",
    6: "doctor/health care",
    7: "executive/managerial",
    8: "farmer",
    9: "homemaker",
    10: "K-12 student",
    11: "lawyer",
    12: "programmer",
    13: "retired",
    14: "sales/marketing",
    15: "scientist",
    16: "self-employed",
    17: "technician/engineer",
    18: "tradesman/craftsman",
    19: "unemployed",
    20: "writer",
}

# The canonical genres (ML-1M's 18), in the order every genre list starts with; other releases add
# more ("IMAX", own data's), kept as written after these.
GENRES: tuple[str, ...] = (
    "Action",
    "Adventure",
    "Animation",
    "Children's",
    "Comedy",
    "Crime",
    "Documentary",
    "Drama",
    "Fantasy",
    "Film-Noir",
    "Horror",
    "Musical",
    "Mystery",
    "Romance",
    "Sci-Fi",
    "Thriller",
    "War",
    "Western",
)

GENDERS: tuple[str, ...] = ("M", "F")

# A rating from here up means the person liked the movie: the reasons ("because you liked X"), the
# explanations and the quality protocol's "relevant" all use this one line (half stars: 4.0 and up).
LIKED_THRESHOLD = 4.0
