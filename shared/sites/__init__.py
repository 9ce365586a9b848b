"""Sites clés en main: industrial sites ready for investors, proposed by the territories
and labelled by the State."""
