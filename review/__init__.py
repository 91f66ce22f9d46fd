"""Human review: review cases, four eyes, objections (UU PDP Art. 10), decision letters."""
