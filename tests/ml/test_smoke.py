from credit_ml.features import annuity_installment


def test_zero_rate_installment_is_principal_over_term() -> None:
    assert float(annuity_installment(1_200_000, 0.0, 12)) == 100_000.0
