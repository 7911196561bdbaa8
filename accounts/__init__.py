"""Accounts: citizens and staff, registration, login with a second factor, identity confirmation.

At the top, the Django files: models, managers, validators, constants, admin, selectors (reads),
services (the audit log), tasks, urls, middleware, backends. Each flow is a package of
forms / services / views / urls:

- login/         the two login steps, sessions, «Это был не я», password reset, axes lock-out hooks
- registration/  registration (the phone by SMS code, the e-mail by link); the change of phone/e-mail views
- contact/       proving and changing a phone or an e-mail (codes, links, the old contact told; staff's change)
- security/      the «Безопасность» page; second factors; SMS budgets; encryption at rest; access log
- verification/  identity confirmation by video (files go through documents: sniffing, kept uploads)
- language/      the language a person reads messages in
- staff/         the admin site (TOTP only) and its forms
"""
