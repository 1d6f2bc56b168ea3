"""Sign-up and sign-in forms (Flask-WTF: CSRF on every POST)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from connector.passwords import MIN_LENGTH


class SignUpForm(FlaskForm):
    company = StringField("Company name", validators=[DataRequired(), Length(max=200)])
    name = StringField("Your name", validators=[DataRequired(), Length(max=200)])
    email = EmailField("Work email", validators=[DataRequired(), Email(), Length(max=320)])
    password = PasswordField(
        "Password",
        validators=[
            DataRequired(),
            Length(min=MIN_LENGTH, max=200, message=f"Use at least {MIN_LENGTH} characters."),
        ],
    )
    confirm = PasswordField(
        "Repeat password", validators=[DataRequired(), EqualTo("password", message="Passwords differ.")]
    )
    demo_data = BooleanField("Fill my sandbox with demo data", default=True)


class SignInForm(FlaskForm):
    # No format check here: signing in only has to find the account (special-use domains such
    # as the demo's .test addresses fail a strict validator).
    email = EmailField("Email", validators=[DataRequired(), Length(max=320)])
    password = PasswordField("Password", validators=[DataRequired()])
